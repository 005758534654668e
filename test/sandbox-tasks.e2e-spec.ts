import {
  call,
  fetchToken,
  startSandbox,
  type Sandbox,
  type TaskDocument,
} from './support/sandbox.js';

const MB10 = 10 * 1024 * 1024;
const OBJECT_ID = /^[0-9a-f]{24}$/;
const sampleBody = () => ({
  type: 'text_embedding',
  content: { text: 'Some text to embed', model: 'text-embedding-3-small' },
  callbackRoute: 'verification_update_embedding',
  callbackParams: { targetId: '6650f1c2a1b2c3d4e5f60719', field: 'embedding' },
});

describe('sandbox tasks API (CONTRACT.md §1)', () => {
  let sandbox: Sandbox;
  let token: string;
  const api = (path = '') => `${sandbox.url}/api/ai-tasks${path}`;
  const patch = (id: string, body: unknown) =>
    call<TaskDocument>(api(`/${id}`), { method: 'PATCH', token, body });
  const pendingIds = async (query = '') =>
    (await call<TaskDocument[]>(api(`/pending${query}`), { token })).body.map(
      (task) => String(task._id),
    );

  beforeAll(async () => {
    sandbox = await startSandbox();
    ({ access_token: token } = await fetchToken(
      sandbox.tokenUrl,
      sandbox.clientId,
      sandbox.clientSecret,
    ));
  });
  afterAll(() => sandbox.close());
  beforeEach(() => {
    sandbox.reset();
    sandbox.updateSwitches({ honourLimit: false, conflictOnClaim: false });
  });

  describe('GET /api/ai-tasks/pending', () => {
    it('answers 200 with every pending task, oldest first, in the documented shape', async () => {
      const seeded = sandbox.seed(3);
      sandbox.insertTasks([
        { state: 'succeeded', type: 'text_embedding', content: 'done' },
      ]);
      const answer = await call<TaskDocument[]>(api('/pending'), { token });
      expect(answer.status).toBe(200);
      expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
      expect(answer.body.map((task) => task._id)).toEqual(
        seeded.map((task) => task._id),
      );
      const [first] = answer.body;
      expect(first).toEqual({
        _id: expect.stringMatching(OBJECT_ID),
        type: 'text_embedding',
        state: 'pending',
        content: {
          text: expect.any(String),
          model: 'text-embedding-3-small',
        },
        callbackRoute: 'verification_update_embedding',
        callbackParams: {
          targetId: expect.stringMatching(OBJECT_ID),
          field: 'embedding',
        },
        createdAt: expect.any(String),
        updatedAt: first.createdAt,
      });
      expect(new Date(first.createdAt).toISOString()).toBe(first.createdAt);
    });

    it('ignores limit like the reference application, and honours it when switched on', async () => {
      const seeded = sandbox.seed(5).map((task) => task._id);
      expect(await pendingIds('?limit=2')).toEqual(seeded);
      expect(await pendingIds('?limit=abc')).toEqual(seeded);
      sandbox.updateSwitches({ honourLimit: true });
      expect(await pendingIds('?limit=2')).toEqual(seeded.slice(0, 2));
      expect(await pendingIds()).toEqual(seeded);
      const bad = await call(api('/pending?limit=0'), { token });
      expect(bad.status).toBe(400);
    });

    it('puts a released task back in its oldest-first place', async () => {
      const [a, b, c] = sandbox.seed(3).map((task) => task._id);
      await patch(a, { state: 'in_progress' });
      await patch(b, { state: 'in_progress' });
      expect(await pendingIds()).toEqual([c]);
      await patch(b, { state: 'pending' });
      await patch(a, { state: 'pending' });
      expect(await pendingIds()).toEqual([a, b, c]);
    });

    it('lists 20,000 pending tasks without slowing down', async () => {
      sandbox.seed(20_000);
      const started = performance.now();
      const ids = await pendingIds();
      const first = performance.now() - started;
      await patch(ids[0], { state: 'in_progress' });
      const again = await pendingIds();
      expect(ids).toHaveLength(20_000);
      expect(again).toEqual(ids.slice(1));
      expect(first).toBeLessThan(5000);
    });
  });

  describe('GET /api/ai-tasks?state=S', () => {
    it('answers 200 with the tasks in that state', async () => {
      const [a, b] = sandbox.seed(3).map((task) => task._id);
      await patch(a, { state: 'in_progress' });
      await patch(b, { state: 'in_progress' });
      await patch(b, { state: 'failed', error: { code: 'x', message: 'y' } });
      const inProgress = await call<TaskDocument[]>(api('?state=in_progress'), {
        token,
      });
      expect(inProgress.status).toBe(200);
      expect(inProgress.body.map((task) => task._id)).toEqual([a]);
      const failed = await call<TaskDocument[]>(api('?state=failed'), {
        token,
      });
      expect(failed.body).toEqual([
        expect.objectContaining({
          _id: b,
          state: 'failed',
          error: { code: 'x', message: 'y' },
        }),
      ]);
      const all = await call<TaskDocument[]>(api(), { token });
      expect(all.body).toHaveLength(3);
    });

    it('answers 400 for an unknown state', async () => {
      const answer = await call(api('?state=done'), { token });
      expect(answer.status).toBe(400);
      expect(answer.body).toMatchObject({ statusCode: 400 });
    });
  });

  describe('PATCH /api/ai-tasks/:id', () => {
    it('answers 200 with the updated task', async () => {
      const [task] = sandbox.seed(1);
      // ObjectIds are read case-insensitively, as MongoDB parses them.
      const claimed = await patch(task._id.toUpperCase(), {
        state: 'in_progress',
      });
      expect(claimed.status).toBe(200);
      expect(claimed.body).toMatchObject({
        _id: task._id,
        state: 'in_progress',
        createdAt: task.createdAt,
      });
      const vector = [0.1, -0.2, 0.3];
      const done = await patch(task._id, {
        state: 'succeeded',
        result: vector,
      });
      expect(done.status).toBe(200);
      expect(done.body).toMatchObject({ state: 'succeeded', result: vector });
      expect(Date.parse(done.body.updatedAt)).toBeGreaterThanOrEqual(
        Date.parse(task.updatedAt),
      );
      expect(sandbox.task(task._id)).toEqual(done.body);
    });

    it('answers 400 for an invalid id, state or body', async () => {
      const [task] = sandbox.seed(1);
      const invalid = [
        await patch('not-an-id', { state: 'in_progress' }),
        await patch(task._id, { state: 'done' }),
        await patch(task._id, {}),
        await patch(task._id, { state: 'failed', error: 42 }),
        await patch(task._id, { state: 'in_progress', owner: 'me' }),
        await patch(task._id, [{ state: 'in_progress' }]),
        await call(api(`/${task._id}`), {
          method: 'PATCH',
          token,
          body: '{"state": ',
        }),
      ];
      expect(invalid.map((answer) => answer.status)).toEqual(
        Array(invalid.length).fill(400),
      );
      expect(sandbox.task(task._id)?.state).toBe('pending');
    });

    it('answers 404 for an unknown id', async () => {
      const answer = await patch('6650f1c2a1b2c3d4e5f60718', {
        state: 'in_progress',
      });
      expect(answer.status).toBe(404);
    });

    it('answers 400 for a result over 10 MB, and accepts one just under', async () => {
      const [task] = sandbox.seed(1);
      await patch(task._id, { state: 'in_progress' });
      const over = await patch(task._id, {
        state: 'succeeded',
        result: 'x'.repeat(MB10 - 1),
      });
      expect(over.status).toBe(400);
      expect(JSON.stringify(over.body)).toContain('result must not exceed');
      const under = await call(api(`/${task._id}`), {
        method: 'PATCH',
        token,
        body: { state: 'succeeded', result: 'x'.repeat(MB10 - 2) },
      });
      expect(under.status).toBe(200);
    });

    it('answers 409 to a claim of a task that is no longer pending when conditional updates are on', async () => {
      sandbox.updateSwitches({ conflictOnClaim: true });
      const [task] = sandbox.seed(1);
      expect((await patch(task._id, { state: 'in_progress' })).status).toBe(
        200,
      );
      const second = await patch(task._id, { state: 'in_progress' });
      expect(second.status).toBe(409);
      expect(sandbox.stats()).toMatchObject({ claims: 1, claimConflicts: 1 });
    });

    it('answers 200 to that claim without conditional updates (the reference application), and counts the conflict', async () => {
      const [task] = sandbox.seed(1);
      await patch(task._id, { state: 'in_progress' });
      const second = await patch(task._id, { state: 'in_progress' });
      expect(second.status).toBe(200);
      await patch(task._id, { state: 'succeeded', result: [1] });
      await patch(task._id, { state: 'succeeded', result: [1] });
      expect(sandbox.stats()).toMatchObject({
        claims: 1,
        claimConflicts: 1,
        completions: 2,
        tasksCompletedMoreThanOnce: 1,
      });
    });

    it.each([
      ['pending', 'in_progress', 200],
      ['pending', 'failed', 200],
      ['pending', 'pending', 200],
      ['pending', 'succeeded', 409],
      ['in_progress', 'succeeded', 200],
      ['in_progress', 'failed', 200],
      ['in_progress', 'pending', 200],
      ['in_progress', 'in_progress', 409],
      ['succeeded', 'in_progress', 409],
      ['succeeded', 'pending', 409],
      ['failed', 'succeeded', 409],
      ['failed', 'failed', 409],
    ])(
      'with conditional updates, %s -> %s answers %i',
      async (from, to, status) => {
        sandbox.updateSwitches({ conflictOnClaim: true });
        const [task] = sandbox.insertTasks([{ ...sampleBody(), state: from }]);
        const answer = await patch(String(task._id), { state: to });
        expect(answer.status).toBe(status);
        expect(sandbox.task(String(task._id))?.state).toBe(
          status === 200 ? to : from,
        );
      },
    );
  });

  describe('POST /api/ai-tasks', () => {
    it('answers 201 with the created task, pending', async () => {
      const body = {
        type: 'text_embedding',
        content: {
          text: 'Hello there',
          model: 'text-embedding-3-large',
          dimensions: 256,
        },
        callbackRoute: 'verification_update_embedding',
        callbackParams: {
          targetId: '6650f1c2a1b2c3d4e5f60719',
          field: 'embedding',
        },
      };
      const answer = await call<TaskDocument>(api(), {
        method: 'POST',
        token,
        body,
      });
      expect(answer.status).toBe(201);
      expect(answer.body).toEqual({
        ...body,
        _id: expect.stringMatching(OBJECT_ID),
        state: 'pending',
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      expect(await pendingIds()).toEqual([answer.body._id]);
    });

    it('accepts the legacy shape', async () => {
      const answer = await call(api(), {
        method: 'POST',
        token,
        body: {
          type: 'text-embedding',
          content: 'A bare string is the text',
          callbackRoute: 'verification.updateEmbedding',
          callbackParams: { documentId: '6650f1c2a1b2c3d4e5f60719' },
        },
      });
      expect(answer.status).toBe(201);
    });

    it.each([
      ['no type', { content: { text: 'a', model: 'm' } }],
      [
        'empty text',
        { type: 'text_embedding', content: { text: '', model: 'm' } },
      ],
      [
        'text over 10,000 characters',
        {
          type: 'text_embedding',
          content: { text: 'a'.repeat(10_001), model: 'm' },
        },
      ],
      [
        'bad dimensions',
        {
          type: 'text_embedding',
          content: { text: 'a', model: 'm', dimensions: 0 },
        },
      ],
      [
        'no callback',
        {
          type: 'text_embedding',
          content: { text: 'a', model: 'm' },
          callbackRoute: undefined,
        },
      ],
    ])('answers 400 for %s', async (_, fields) => {
      const answer = await call(api(), {
        method: 'POST',
        token,
        body: {
          callbackRoute: 'r',
          callbackParams: {},
          ...fields,
        },
      });
      expect(answer.status).toBe(400);
      expect(sandbox.stats().tasks.total).toBe(0);
    });
  });

  describe('the guard', () => {
    it.each([
      ['no token', {}],
      ['an unknown token', { authorization: 'Bearer not-a-token' }],
      [
        'basic credentials',
        {
          authorization: `Basic ${Buffer.from('ai-task-processor:sandbox-secret').toString('base64')}`,
        },
      ],
    ])('answers 403 to every route with %s', async (_, headers) => {
      const [task] = sandbox.seed(1);
      const answers = await Promise.all([
        call(api('/pending'), { headers }),
        call(api('?state=pending'), { headers }),
        call(api(`/${task._id}`), {
          method: 'PATCH',
          headers,
          body: { state: 'in_progress' },
        }),
        call(api(), { method: 'POST', headers, body: sampleBody() }),
      ]);
      expect(answers.map((answer) => answer.status)).toEqual([
        403, 403, 403, 403,
      ]);
      expect(answers[0].body).toMatchObject({
        statusCode: 403,
        message: 'Forbidden resource',
      });
      expect(sandbox.task(task._id)?.state).toBe('pending');
    });
  });

  describe('seeding and stats', () => {
    it('seeds distinct realistic texts, with legacy ones when asked', () => {
      const tasks = sandbox.seed(200, { legacy: 20 });
      const legacy = tasks.filter((task) => task.type === 'text-embedding');
      expect(legacy).toHaveLength(20);
      expect(legacy[0]).toMatchObject({
        content: expect.any(String),
        callbackRoute: 'verification.updateEmbedding',
        callbackParams: { documentId: expect.stringMatching(OBJECT_ID) },
      });
      const texts = tasks.map((task) =>
        typeof task.content === 'string' ? task.content : task.content.text,
      );
      expect(new Set(texts).size).toBe(200);
      expect(Math.min(...texts.map((text) => text.length))).toBeGreaterThan(20);
    });

    it('counts states, claims, releases, /pending calls and requests per route, and reports pickup latency', async () => {
      const [a, b] = sandbox.seed(3).map((task) => task._id);
      await pendingIds();
      await pendingIds();
      await patch(a, { state: 'in_progress' });
      await patch(b, { state: 'in_progress' });
      await patch(b, { state: 'pending' });
      await patch(a, { state: 'succeeded', result: [0.5] });
      await patch('6650f1c2a1b2c3d4e5f60718', { state: 'in_progress' });
      const stats = sandbox.stats();
      expect(stats).toMatchObject({
        tasks: {
          total: 3,
          pending: 2,
          in_progress: 0,
          succeeded: 1,
          failed: 0,
        },
        claims: 2,
        claimConflicts: 0,
        releases: 1,
        completions: 1,
        tasksCompletedMoreThanOnce: 0,
        pendingCalls: 2,
      });
      expect(stats.requests.patch).toMatchObject({
        total: 5,
        byStatus: { 200: 4, 404: 1 },
      });
      expect(stats.requests.pending.bytesOut).toBeGreaterThan(0);
      expect(stats.pickup).toEqual({
        count: 2,
        p50Ms: expect.any(Number),
        p95Ms: expect.any(Number),
        maxMs: expect.any(Number),
      });
      const timings = sandbox.timings();
      const timing = timings.find((entry) => entry.id === a);
      expect(timing).toMatchObject({
        state: 'succeeded',
        claims: 1,
        completions: 1,
      });
      expect(timing!.firstClaimedAtMs).toBeGreaterThanOrEqual(
        timing!.createdAtMs,
      );
      expect(timing!.completedAtMs).toBeGreaterThanOrEqual(
        timing!.firstClaimedAtMs!,
      );
    });
  });
});
