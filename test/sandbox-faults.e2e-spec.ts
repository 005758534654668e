import OpenAI, { RateLimitError } from 'openai';
import {
  call,
  fetchToken,
  SandboxAdminClient,
  startSandbox,
  type Sandbox,
  type TaskDocument,
} from './support/sandbox.js';

const NEW_TASK = {
  type: 'text_embedding',
  content: {
    text: 'A task created over HTTP',
    model: 'text-embedding-3-small',
  },
  callbackRoute: 'verification_update_embedding',
  callbackParams: { targetId: '6650f1c2a1b2c3d4e5f60719', field: 'embedding' },
};

describe('sandbox faults and admin routes', () => {
  let sandbox: Sandbox;
  let admin: SandboxAdminClient;
  let token: string;
  const api = (path = '') => `${sandbox.url}/api/ai-tasks${path}`;
  const timed = async <T>(work: () => Promise<T>) => {
    const started = performance.now();
    const result = await work();
    return { result, ms: performance.now() - started };
  };

  beforeAll(async () => {
    sandbox = await startSandbox();
    admin = new SandboxAdminClient(sandbox.url);
    ({ access_token: token } = await fetchToken(
      sandbox.tokenUrl,
      sandbox.clientId,
      sandbox.clientSecret,
    ));
  });
  afterAll(() => sandbox.close());
  beforeEach(() => sandbox.reset());
  afterEach(() => vi.useRealTimers());

  describe('latency', () => {
    it('delays only the targeted route', async () => {
      const [task] = sandbox.seed(1);
      await admin.faults.latency({ target: 'pending', ms: 250 });
      const slow = await timed(() => call(api('/pending'), { token }));
      const fast = await timed(() =>
        call(api(`/${task._id}`), {
          method: 'PATCH',
          token,
          body: { state: 'in_progress' },
        }),
      );
      expect(slow.result.status).toBe(200);
      expect(slow.ms).toBeGreaterThanOrEqual(245);
      expect(fast.ms).toBeLessThan(245);
      expect(await admin.faults.active()).toMatchObject({
        latencyMs: { pending: 250 },
      });
    });

    it('delays a whole group, and 0 removes it', async () => {
      await admin.faults.latency({ target: 'tasks', ms: 120 });
      const create = await timed(() =>
        call(api(), { method: 'POST', token, body: NEW_TASK }),
      );
      expect(create.ms).toBeGreaterThanOrEqual(115);
      await admin.faults.latency({ target: 'tasks', ms: 0 });
      expect((await admin.faults.active()).latencyMs).toEqual({});
    });
  });

  describe('error status', () => {
    it('answers the status for the next N calls of a route, in the API’s error shape', async () => {
      const [task] = sandbox.seed(1);
      await admin.faults.error({ target: 'patch', status: 503, count: 2 });
      const claim = () =>
        call(api(`/${task._id}`), {
          method: 'PATCH',
          token,
          body: { state: 'in_progress' },
        });
      const first = await claim();
      expect(first.status).toBe(503);
      expect(first.body).toEqual({
        statusCode: 503,
        message: 'injected fault: 503',
        error: 'Service Unavailable',
      });
      expect((await call(api('/pending'), { token })).status).toBe(200);
      expect((await claim()).status).toBe(503);
      expect(sandbox.task(task._id)?.state).toBe('pending');
      expect((await claim()).status).toBe(200);
      expect(sandbox.stats().requests.patch.byStatus).toEqual({
        200: 1,
        503: 2,
      });
    });

    it('can hit only result deliveries, or only claims, leaving other PATCHes alone', async () => {
      const [task] = sandbox.seed(1);
      const update = (body: unknown) =>
        call(api(`/${task._id}`), { method: 'PATCH', token, body });
      await admin.faults.error({
        target: 'complete',
        status: 503,
        count: 2,
        retryAfterMs: 1500,
      });
      expect((await update({ state: 'in_progress' })).status).toBe(200);
      const refused = await update({ state: 'succeeded', result: [1] });
      expect(refused.status).toBe(503);
      expect(refused.headers.get('retry-after')).toBe('2');
      expect(refused.body).toMatchObject({ statusCode: 503 });
      expect((await update({ state: 'failed', error: 'x' })).status).toBe(503);
      expect((await update({ state: 'pending' })).status).toBe(200);
      expect((await update({ state: 'in_progress' })).status).toBe(200);
      expect((await update({ state: 'succeeded', result: [1] })).status).toBe(
        200,
      );

      await admin.faults.latency({ target: 'claim', ms: 200 });
      const [other] = sandbox.seed(1);
      const claim = await timed(() =>
        call(api(`/${other._id}`), {
          method: 'PATCH',
          token,
          body: { state: 'in_progress' },
        }),
      );
      expect(claim.ms).toBeGreaterThanOrEqual(195);
    });

    it('answers the status for a time window on a route group', async () => {
      vi.useFakeTimers({ toFake: ['Date'] });
      await admin.faults.error({
        target: 'tasks',
        status: 500,
        durationMs: 60_000,
      });
      expect((await call(api('/pending'), { token })).status).toBe(500);
      expect((await call(api('?state=failed'), { token })).status).toBe(500);
      vi.setSystemTime(Date.now() + 61_000);
      expect((await call(api('/pending'), { token })).status).toBe(200);
      expect((await admin.faults.active()).errors).toEqual({});
    });

    it('fails the token endpoint in OAuth2’s error shape', async () => {
      await admin.faults.error({ target: 'token', status: 503, count: 1 });
      await expect(
        fetchToken(sandbox.tokenUrl, sandbox.clientId, sandbox.clientSecret),
      ).rejects.toThrow(/503.*temporarily_unavailable/);
      await expect(
        fetchToken(sandbox.tokenUrl, sandbox.clientId, sandbox.clientSecret),
      ).resolves.toMatchObject({ token_type: 'Bearer' });
    });

    it('answers 429 with retry-after and retry-after-ms on embeddings, which the SDK honours', async () => {
      const strict = new OpenAI({
        apiKey: 'sk-x',
        baseURL: sandbox.embeddingsUrl,
        maxRetries: 0,
      });
      await admin.faults.error({ target: 'embeddings', status: 429, count: 1 });
      const error = await strict.embeddings
        .create({ model: 'text-embedding-3-small', input: 'x' })
        .catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(RateLimitError);
      const limited = error as RateLimitError;
      expect(limited.headers.get('retry-after')).toBe('1');
      expect(limited.headers.get('retry-after-ms')).toBe('1000');
      expect(limited.code).toBe('rate_limit_exceeded');

      const patient = new OpenAI({
        apiKey: 'sk-x',
        baseURL: sandbox.embeddingsUrl,
        maxRetries: 1,
      });
      await admin.faults.error({
        target: 'embeddings',
        status: 429,
        count: 1,
        retryAfterMs: 20,
      });
      const answer = await patient.embeddings.create({
        model: 'text-embedding-3-small',
        input: 'x',
      });
      expect(answer.data).toHaveLength(1);
      expect(sandbox.stats().requests.embeddings.byStatus).toEqual({
        200: 1,
        429: 2,
      });
    });

    it('makes the embeddings endpoint refuse every key until reset', async () => {
      const openai = new OpenAI({
        apiKey: 'sk-x',
        baseURL: sandbox.embeddingsUrl,
        maxRetries: 0,
      });
      await admin.faults.error({ target: 'embeddings', status: 401 });
      for (let i = 0; i < 2; i += 1)
        await expect(
          openai.embeddings.create({
            model: 'text-embedding-3-small',
            input: 'x',
          }),
        ).rejects.toMatchObject({ status: 401, code: 'invalid_api_key' });
      await admin.faults.reset();
      await expect(
        openai.embeddings.create({
          model: 'text-embedding-3-small',
          input: 'x',
        }),
      ).resolves.toBeDefined();
    });
  });

  describe('garbage on /pending', () => {
    it.each([
      ['truncated-json', 'application/json'],
      ['html', 'text/html'],
      ['not-an-array', 'application/json'],
    ] as const)(
      'answers 200 with %s once, then the real list',
      async (kind, type) => {
        sandbox.seed(2);
        await admin.faults.garbage({ kind });
        const garbage = await fetch(api('/pending'), {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(garbage.status).toBe(200);
        expect(garbage.headers.get('content-type')).toContain(type);
        const text = await garbage.text();
        const parsed: unknown = (() => {
          try {
            return JSON.parse(text);
          } catch {
            return undefined;
          }
        })();
        expect(Array.isArray(parsed)).toBe(false);
        const real = await call<TaskDocument[]>(api('/pending'), { token });
        expect(real.body).toHaveLength(2);
      },
    );

    it('answers garbage to the next N calls', async () => {
      await admin.faults.garbage({ count: 2 });
      const bodies = [];
      for (let i = 0; i < 3; i += 1)
        bodies.push((await call(api('/pending'), { token })).body);
      expect(bodies.map((body) => Array.isArray(body))).toEqual([
        false,
        false,
        true,
      ]);
      expect(sandbox.stats().pendingCalls).toBe(3);
    });
  });

  it('revokes every token over /admin/tokens/revoke', async () => {
    const { access_token } = await fetchToken(
      sandbox.tokenUrl,
      sandbox.clientId,
      sandbox.clientSecret,
    );
    expect((await call(api('/pending'), { token: access_token })).status).toBe(
      200,
    );
    expect(await admin.revokeAllTokens()).toBeGreaterThanOrEqual(1);
    expect((await call(api('/pending'), { token: access_token })).status).toBe(
      403,
    );
    ({ access_token: token } = await fetchToken(
      sandbox.tokenUrl,
      sandbox.clientId,
      sandbox.clientSecret,
    ));
  });

  it('resets every fault with DELETE /admin/faults', async () => {
    await admin.faults.latency({ target: 'create', ms: 10 });
    await admin.faults.error({ target: 'pending', status: 502 });
    await admin.faults.garbage({});
    await admin.faults.reset();
    expect(await admin.faults.active()).toEqual({
      latencyMs: {},
      errors: {},
      garbage: null,
    });
    expect((await call(api('/pending'), { token })).body).toEqual([]);
  });

  it('refuses malformed fault requests with 400', async () => {
    const answers = await Promise.all([
      call(`${sandbox.url}/admin/faults/error`, {
        method: 'POST',
        body: { target: 'everything', status: 500 },
      }),
      call(`${sandbox.url}/admin/faults/error`, {
        method: 'POST',
        body: { target: 'patch', status: 200 },
      }),
      call(`${sandbox.url}/admin/faults/latency`, {
        method: 'POST',
        body: { target: 'patch' },
      }),
      call(`${sandbox.url}/admin/faults/garbage`, {
        method: 'POST',
        body: { kind: 'xml' },
      }),
      call(`${sandbox.url}/admin/settings`, {
        method: 'PATCH',
        body: { honourLimit: 'yes' },
      }),
    ]);
    expect(answers.map((answer) => answer.status)).toEqual([
      400, 400, 400, 400, 400,
    ]);
  });

  describe('admin routes for other processes', () => {
    it('seeds, creates, inserts malformed tasks, lists, and reports stats and timings', async () => {
      const { created, ids } = await admin.seed(3, { legacy: 1 });
      expect(created).toBe(3);
      const made = await admin.createTask({
        text: 'A chosen text',
        dimensions: 512,
      });
      expect(made.content).toEqual({
        text: 'A chosen text',
        model: 'text-embedding-3-small',
        dimensions: 512,
      });
      const inserted = await admin.insertTasks(
        [
          { type: 'text_embedding' },
          { type: 'image_caption', content: { url: 'x' } },
          { _id: 42, content: 7 },
        ],
        false,
      );
      expect(inserted[0]).not.toHaveProperty('_id');
      expect(inserted[2]._id).toBe(42);
      const pending = await call<TaskDocument[]>(api('/pending'), { token });
      expect(pending.body).toHaveLength(7);
      expect(pending.body.slice(0, 4).map((task) => task._id)).toEqual([
        ...ids,
        made._id,
      ]);
      const stuck = await admin.insertTasks([
        {
          ...NEW_TASK,
          state: 'in_progress',
          createdAt: '2026-01-01T00:00:00.000Z',
          updatedAt: '2026-01-01T00:00:00.000Z',
        },
      ]);
      expect(await admin.task(String(stuck[0]._id))).toMatchObject({
        state: 'in_progress',
        updatedAt: '2026-01-01T00:00:00.000Z',
      });
      expect(await admin.tasks('in_progress')).toHaveLength(1);
      expect((await admin.stats()).tasks).toEqual({
        total: 8,
        pending: 7,
        in_progress: 1,
        succeeded: 0,
        failed: 0,
      });
      expect(await admin.timings()).toHaveLength(8);
      await admin.reset();
      expect((await admin.stats()).tasks.total).toBe(0);
    });

    it('switches limit and conflict behaviour at run time', async () => {
      expect(await admin.switches()).toMatchObject({
        honourLimit: false,
        conflictOnClaim: false,
      });
      await admin.updateSwitches({ honourLimit: true, conflictOnClaim: true });
      try {
        sandbox.seed(3);
        const page = await call<TaskDocument[]>(api('/pending?limit=1'), {
          token,
        });
        expect(page.body).toHaveLength(1);
        const claim = () =>
          call(api(`/${String(page.body[0]._id)}`), {
            method: 'PATCH',
            token,
            body: { state: 'in_progress' },
          });
        expect((await claim()).status).toBe(200);
        expect((await claim()).status).toBe(409);
      } finally {
        await admin.updateSwitches({
          honourLimit: false,
          conflictOnClaim: false,
        });
      }
    });
  });
});
