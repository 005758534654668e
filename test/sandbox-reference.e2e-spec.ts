import {
  call,
  fetchToken,
  startSandbox,
  startSandboxProcess,
  type Sandbox,
  type TaskDocument,
  type TaskView,
} from './support/sandbox.js';

const INVALID_CLIENT_POST =
  "Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method). The OAuth 2.0 Client supports client authentication method 'client_secret_basic', but method 'client_secret_post' was requested. You must configure the OAuth 2.0 client's 'token_endpoint_auth_method' value to accept 'client_secret_post'.";
const INVALID_SCOPE_ADMIN =
  "The requested scope is invalid, unknown, or malformed. The OAuth 2.0 Client is not allowed to request scope 'admin'.";
const THROTTLED = {
  statusCode: 429,
  message: 'ThrottlerException: Too Many Requests',
};

/** One call that does not follow redirects: the 302 itself is the answer. */
async function manual(
  url: string,
  init: { method?: string; token?: string; body?: unknown } = {},
): Promise<{ status: number; headers: Headers; text: string }> {
  const headers: Record<string, string> = {};
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers['content-type'] = 'application/json';
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers,
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    redirect: 'manual',
  });
  return {
    status: response.status,
    headers: response.headers,
    text: await response.text(),
  };
}

/** The token endpoint's JSON answer: a token, or an OAuth2 error. */
interface TokenAnswer {
  access_token?: string;
  scope?: string;
  error?: string;
  error_description?: string;
}

/** A token request as `fetchToken` sends it, answered whatever its status. */
function tokenRequest(
  sandbox: Sandbox,
  method: 'client_secret_basic' | 'client_secret_post',
  scope = 'read write',
  secret = sandbox.clientSecret,
) {
  const form = new URLSearchParams({ grant_type: 'client_credentials', scope });
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
  };
  if (method === 'client_secret_post') {
    form.set('client_id', sandbox.clientId);
    form.set('client_secret', secret);
  } else
    headers.authorization = `Basic ${Buffer.from(
      `${encodeURIComponent(sandbox.clientId)}:${encodeURIComponent(secret)}`,
    ).toString('base64')}`;
  return call<TokenAnswer>(sandbox.tokenUrl, {
    method: 'POST',
    headers,
    body: form.toString(),
  });
}

describe('sandbox reference profile (what the real server does beyond the table)', () => {
  let sandbox: Sandbox;
  let token: string;
  const api = (path = '') => `${sandbox.url}/api/ai-tasks${path}`;
  const patch = (
    id: string,
    body: unknown,
    bearer: string | undefined = token,
  ) =>
    call<TaskDocument>(api(`/${id}`), { method: 'PATCH', token: bearer, body });
  const newToken = async () =>
    (await fetchToken(sandbox.tokenUrl, sandbox.clientId, sandbox.clientSecret))
      .access_token;
  /** A task with the real server's callback parameters, claimed. */
  const claimedTask = async (legacy = false) => {
    const task = sandbox.createTask({ legacy });
    const id = String(task._id);
    expect((await patch(id, { state: 'in_progress' })).status).toBe(200);
    return id;
  };
  const view = (id: string) => sandbox.task(id) as TaskView;

  beforeAll(async () => {
    sandbox = await startSandbox({ profile: 'reference' });
    token = await newToken();
  });
  afterAll(() => sandbox.close());
  beforeEach(() => {
    sandbox.reset();
    sandbox.updateSwitches({ profile: 'reference' });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('turns every switch on, each of which can be changed at run time', async () => {
    expect(sandbox.switches()).toMatchObject({
      profile: 'reference',
      callbacks: true,
      throttleLimit: 1000,
      throttleTtlMs: 60_000,
      redirectNotFound: true,
      strictIssuer: true,
      clientAuthMethod: 'client_secret_basic',
      clientScopes: 'read write',
      bodyLimitBytes: 102_400,
      storeReports: false,
      honourLimit: false,
      conflictOnClaim: false,
    });
    const off = await call(`${sandbox.url}/admin/settings`, {
      method: 'PATCH',
      body: { profile: 'lenient', throttleLimit: 7 },
    });
    expect(off.body).toMatchObject({
      profile: 'lenient',
      callbacks: false,
      throttleLimit: 7,
      redirectNotFound: false,
      strictIssuer: false,
      bodyLimitBytes: 64 * 1024 * 1024,
      storeReports: true,
    });
    const invalid = await call(`${sandbox.url}/admin/settings`, {
      method: 'PATCH',
      body: { profile: 'strict', clientAuthMethod: 'none', throttleLimit: -1 },
    });
    expect(invalid.status).toBe(400);
  });

  describe('callbacks', () => {
    it('saves a completion, then answers 400 for legacy callback parameters', async () => {
      const id = await claimedTask(true);
      const before = view(id).updatedAt;
      const done = await patch(id, { state: 'succeeded', result: [0.5, 0.25] });
      expect(done.status).toBe(400);
      expect(done.body).toEqual({
        statusCode: 400,
        message: 'Invalid callback parameters',
        error: 'Bad Request',
      });
      expect(view(id)).toMatchObject({
        state: 'succeeded',
        callbackParams: { documentId: expect.any(String) },
        result: [0.5, 0.25],
      });
      expect(Date.parse(view(id).updatedAt)).toBeGreaterThanOrEqual(
        Date.parse(before),
      );
      expect(view(id).callbackDispatches).toBe(1);
      expect(sandbox.stats()).toMatchObject({
        completions: 1,
        tasks: { succeeded: 1 },
        callbacks: {
          dispatches: 1,
          failures: 1,
          tasksDispatchedMoreThanOnce: 0,
        },
      });
    });

    it('answers injected failures (500 twice), then 200, dispatching every time', async () => {
      const id = await claimedTask();
      sandbox.failCallbacks(id, { count: 2 });
      const complete = () =>
        patch(id, { state: 'succeeded', result: [0.1, 0.2, 0.3] });
      const answers = [await complete(), await complete(), await complete()];
      expect(answers.map((answer) => answer.status)).toEqual([500, 500, 200]);
      expect(answers[0].body).toEqual({
        statusCode: 500,
        message: 'Internal server error',
      });
      expect(answers[2].body).toMatchObject({ _id: id, state: 'succeeded' });
      expect(view(id).callbackDispatches).toBe(3);
      expect(sandbox.stats()).toMatchObject({
        completions: 3,
        tasksCompletedMoreThanOnce: 1,
        callbacks: {
          dispatches: 3,
          failures: 2,
          tasksDispatchedMoreThanOnce: 1,
        },
      });
    });

    it('injects other statuses over the admin route', async () => {
      const id = await claimedTask();
      const injected = await call(
        `${sandbox.url}/admin/tasks/${id}/callback-failures`,
        { method: 'POST', body: { count: 1, status: 503 } },
      );
      expect(injected.status).toBe(204);
      const failed = await patch(id, { state: 'succeeded', result: [1] });
      expect(failed.status).toBe(503);
      expect(failed.body).toEqual({
        statusCode: 503,
        message: 'Service Unavailable',
      });
      expect(
        (await patch(id, { state: 'succeeded', result: [1] })).status,
      ).toBe(200);
      const unknown = await call(
        `${sandbox.url}/admin/tasks/6650f1c2a1b2c3d4e5f60718/callback-failures`,
        { method: 'POST', body: { count: 1 } },
      );
      expect(unknown.status).toBe(404);
      const bad = await call(
        `${sandbox.url}/admin/tasks/${id}/callback-failures`,
        { method: 'POST', body: { status: 200 } },
      );
      expect(bad.status).toBe(400);
    });

    it('dispatches only a succeeded PATCH with a result', async () => {
      const id = await claimedTask(true);
      expect((await patch(id, { state: 'succeeded' })).status).toBe(200);
      expect(
        (
          await patch(id, {
            state: 'failed',
            error: { code: 'x', message: 'y' },
          })
        ).status,
      ).toBe(200);
      expect(view(id).callbackDispatches).toBe(0);
      expect(sandbox.stats().callbacks.dispatches).toBe(0);
    });

    it('does not dispatch when switched off', async () => {
      sandbox.updateSwitches({ callbacks: false });
      const id = await claimedTask(true);
      sandbox.failCallbacks(id, { count: 1 });
      expect(
        (await patch(id, { state: 'succeeded', result: [1] })).status,
      ).toBe(200);
      expect(sandbox.stats().callbacks).toEqual({
        dispatches: 0,
        failures: 0,
        tasksDispatchedMoreThanOnce: 0,
      });
    });
  });

  describe('throttle', () => {
    const pending = (bearer: string | undefined = token) =>
      call(api('/pending'), { token: bearer });

    it('carries the rate-limit headers on every answer of the tasks API only', async () => {
      const first = await pending();
      expect(first.status).toBe(200);
      expect(first.headers.get('x-ratelimit-limit')).toBe('1000');
      expect(first.headers.get('x-ratelimit-remaining')).toBe('999');
      expect(first.headers.get('x-ratelimit-reset')).toBe('60');
      // Before authentication: a refused token is a hit too.
      const refused = await pending('not-a-token');
      expect(refused.status).toBe(403);
      expect(refused.headers.get('x-ratelimit-remaining')).toBe('998');
      for (const other of [
        await call(`${sandbox.url}/admin/stats`),
        await call(`${sandbox.embeddingsUrl}/embeddings`, {
          method: 'POST',
          token: 'sk-local',
          body: { model: 'text-embedding-3-small', input: 'a' },
        }),
        await tokenRequest(sandbox, 'client_secret_basic'),
      ])
        expect(other.headers.get('x-ratelimit-limit')).toBeNull();
    });

    it('blocks the client that goes over the limit for the ttl, with Retry-After, before authentication', async () => {
      sandbox.updateSwitches({ throttleLimit: 3, throttleTtlMs: 30_000 });
      vi.useFakeTimers({ toFake: ['Date'] });
      const start = Date.now();
      const passed = [await pending(), await pending(), await pending()];
      expect(passed.map((answer) => answer.status)).toEqual([200, 200, 200]);
      expect(
        passed.map((answer) => answer.headers.get('x-ratelimit-remaining')),
      ).toEqual(['2', '1', '0']);

      vi.setSystemTime(start + 10_000);
      const over = await pending();
      expect(over.status).toBe(429);
      expect(over.body).toEqual(THROTTLED);
      expect(over.headers.get('retry-after')).toBe('30');
      expect(over.headers.get('x-ratelimit-limit')).toBeNull();

      // Past the first window, still blocked; unauthenticated calls too.
      vi.setSystemTime(start + 35_500);
      const blocked = await pending(undefined);
      expect(blocked.status).toBe(429);
      expect(blocked.headers.get('retry-after')).toBe('5');

      vi.setSystemTime(start + 40_000);
      const after = await pending();
      expect(after.status).toBe(200);
      expect(after.headers.get('x-ratelimit-remaining')).toBe('2');
      expect(after.headers.get('x-ratelimit-reset')).toBe('30');
      expect(sandbox.stats().throttled).toBe(2);
      expect(sandbox.stats().requests.pending.byStatus).toEqual({
        200: 4,
        429: 2,
      });
    });

    it('changes nothing on a throttled PATCH', async () => {
      sandbox.updateSwitches({ throttleLimit: 1 });
      const [task] = sandbox.seed(1);
      expect((await pending()).status).toBe(200);
      expect((await pending()).status).toBe(429);
      const claim = await patch(task._id, { state: 'in_progress' });
      expect(claim.status).toBe(429);
      expect(claim.body).toEqual(THROTTLED);
      expect(view(task._id)).toMatchObject({
        state: 'pending',
        updatedAt: task.updatedAt,
      });
      expect(view(task._id).patches).toEqual([
        { state: 'in_progress', status: 429, atMs: expect.any(Number) },
      ]);
      expect(sandbox.stats().claims).toBe(0);
      // reset() forgets the block.
      sandbox.reset();
      expect((await pending()).status).toBe(200);
    });

    it('is off at 0', async () => {
      sandbox.updateSwitches({ throttleLimit: 0 });
      const answer = await pending();
      expect(answer.status).toBe(200);
      expect(answer.headers.get('x-ratelimit-limit')).toBeNull();
    });
  });

  describe('not found', () => {
    it('redirects a PATCH of an unknown id and an unknown path to /404, an HTML page', async () => {
      const unknownId = await manual(api('/6650f1c2a1b2c3d4e5f60718'), {
        method: 'PATCH',
        token,
        body: { state: 'in_progress' },
      });
      expect(unknownId.status).toBe(302);
      expect(unknownId.headers.get('location')).toBe('/404');
      expect(unknownId.text).toContain('/404');
      const unknownPath = await manual(`${sandbox.url}/api/nothing-here`);
      expect(unknownPath.status).toBe(302);
      expect(unknownPath.headers.get('location')).toBe('/404');
      // A client that follows redirects gets a page, not JSON.
      const followed = await call(`${sandbox.url}/api/nothing-here`);
      expect(followed.status).toBe(200);
      expect(followed.headers.get('content-type')).toMatch(/^text\/html/);
      expect(sandbox.stats().redirects).toBe(3);
      // The guard still comes first.
      const anonymous = await manual(api('/6650f1c2a1b2c3d4e5f60718'), {
        method: 'PATCH',
        body: { state: 'in_progress' },
      });
      expect(anonymous.status).toBe(403);
    });

    it('accepts what isValidObjectId accepts: a 12-character id is valid and unknown', async () => {
      const twelve = await manual(api('/abcdefghijkl'), {
        method: 'PATCH',
        token,
        body: { state: 'in_progress' },
      });
      expect(twelve.status).toBe(302);
      const invalid = await patch('not-an-id', { state: 'in_progress' });
      expect(invalid.status).toBe(400);
      expect(invalid.body).toEqual({
        statusCode: 400,
        message: 'Invalid task id: not-an-id',
        error: 'Bad Request',
      });
    });

    it('redirects a PATCH of a task deleted meanwhile', async () => {
      const [gone, kept] = sandbox.seed(2);
      expect(sandbox.deleteTask(gone._id)).toBe(true);
      expect(sandbox.deleteTask(gone._id)).toBe(false);
      const deleted = await call(`${sandbox.url}/admin/tasks/${kept._id}`, {
        method: 'DELETE',
      });
      expect(deleted.body).toEqual({ deleted: true });
      for (const task of [gone, kept]) {
        const claim = await manual(api(`/${task._id}`), {
          method: 'PATCH',
          token,
          body: { state: 'in_progress' },
        });
        expect(claim.status).toBe(302);
      }
      expect(sandbox.stats().tasks.total).toBe(0);
      expect((await call(api('/pending'), { token })).body).toEqual([]);
    });

    it('answers 404 when switched off', async () => {
      sandbox.updateSwitches({ redirectNotFound: false });
      const answer = await manual(api('/6650f1c2a1b2c3d4e5f60718'), {
        method: 'PATCH',
        token,
        body: { state: 'in_progress' },
      });
      expect(answer.status).toBe(404);
      expect((await manual(`${sandbox.url}/404`)).status).toBe(404);
      expect(sandbox.stats().redirects).toBe(0);
    });
  });

  describe('strict issuer', () => {
    it('accepts only the registered method and scopes, with Ory errors', async () => {
      expect((await tokenRequest(sandbox, 'client_secret_basic')).status).toBe(
        200,
      );
      const post = await tokenRequest(sandbox, 'client_secret_post');
      expect(post.status).toBe(401);
      expect(post.body).toEqual({
        error: 'invalid_client',
        error_description: INVALID_CLIENT_POST,
      });
      const admin = await tokenRequest(
        sandbox,
        'client_secret_basic',
        'read admin',
      );
      expect(admin.status).toBe(400);
      expect(admin.body).toEqual({
        error: 'invalid_scope',
        error_description: INVALID_SCOPE_ADMIN,
      });
      // A wrong secret is still the issuer's own 401.
      const wrong = await tokenRequest(
        sandbox,
        'client_secret_basic',
        'read admin',
        'wrong',
      );
      expect(wrong.status).toBe(401);
      expect(wrong.body).toMatchObject({ error: 'invalid_client' });
    });

    it('follows the registered method and scopes when they change', async () => {
      sandbox.updateSwitches({
        clientAuthMethod: 'client_secret_post',
        clientScopes: 'read write admin',
      });
      try {
        const basic = await tokenRequest(sandbox, 'client_secret_basic');
        expect(basic.status).toBe(401);
        expect(basic.body.error_description).toContain(
          "supports client authentication method 'client_secret_post', but method 'client_secret_basic' was requested",
        );
        const post = await tokenRequest(
          sandbox,
          'client_secret_post',
          'read admin',
        );
        expect(post.status).toBe(200);
        expect(post.body.scope).toBe('read admin');
        expect(
          (await call(api('/pending'), { token: post.body.access_token }))
            .status,
        ).toBe(200);
      } finally {
        sandbox.updateSwitches({
          clientAuthMethod: 'client_secret_basic',
          clientScopes: 'read write',
        });
      }
    });

    it('accepts both methods when lenient', async () => {
      sandbox.updateSwitches({ strictIssuer: false });
      expect((await tokenRequest(sandbox, 'client_secret_post')).status).toBe(
        200,
      );
      expect((await tokenRequest(sandbox, 'client_secret_basic')).status).toBe(
        200,
      );
    });
  });

  describe('body limit', () => {
    it("answers 413 above Express's 100 kB on the tasks API only", async () => {
      const id = await claimedTask();
      const big = Array.from({ length: 20_000 }, (_, i) => i / 7);
      const over = await patch(id, { state: 'succeeded', result: big });
      expect(over.status).toBe(413);
      expect(over.body).toEqual({
        statusCode: 413,
        message: 'request entity too large',
      });
      expect(view(id).state).toBe('in_progress');
      expect(
        (await patch(id, { state: 'succeeded', result: big.slice(0, 1536) }))
          .status,
      ).toBe(200);
      // Admin routes read large bodies whatever the limit.
      const inserted = await call(`${sandbox.url}/admin/tasks`, {
        method: 'POST',
        body: {
          tasks: [{ type: 'text_embedding', content: 'x'.repeat(200_000) }],
        },
      });
      expect(inserted.status).toBe(201);
    });

    it('follows the setting at run time', async () => {
      sandbox.updateSwitches({ bodyLimitBytes: 64 * 1024 * 1024 });
      const id = await claimedTask();
      const big = Array.from({ length: 20_000 }, (_, i) => i / 7);
      expect(
        (await patch(id, { state: 'succeeded', result: big })).status,
      ).toBe(200);
      sandbox.updateSwitches({ bodyLimitBytes: 10 });
      expect((await patch(id, { state: 'pending' })).status).toBe(413);
    });
  });

  describe('reports not stored', () => {
    it('stores only the state; the admin views show what was received', async () => {
      const id = await claimedTask();
      const error = { code: 'empty_text', message: 'The text is empty.' };
      const failed = await patch(id, { state: 'failed', error });
      expect(failed.status).toBe(200);
      expect(failed.body.state).toBe('failed');
      expect(failed.body).not.toHaveProperty('error');
      const listed = await call<TaskDocument[]>(api('?state=failed'), {
        token,
      });
      expect(listed.body).toHaveLength(1);
      expect(listed.body[0]).not.toHaveProperty('error');
      expect(view(id)).toMatchObject({ state: 'failed', error });

      const other = await claimedTask();
      const done = await patch(other, { state: 'succeeded', result: [0.5] });
      expect(done.body).not.toHaveProperty('result');
      expect(view(other).result).toEqual([0.5]);

      const overHttp = await call<TaskView>(`${sandbox.url}/admin/tasks/${id}`);
      expect(overHttp.body).toMatchObject({
        state: 'failed',
        error,
        callbackDispatches: 0,
        patches: [
          { state: 'in_progress', status: 200, atMs: expect.any(Number) },
          { state: 'failed', status: 200, atMs: expect.any(Number) },
        ],
      });
    });

    it('stores them when switched on', async () => {
      sandbox.updateSwitches({ storeReports: true });
      const id = await claimedTask();
      const error = { code: 'x', message: 'y' };
      expect((await patch(id, { state: 'failed', error })).body).toMatchObject({
        error,
      });
      expect(
        (await call<TaskDocument[]>(api('?state=failed'), { token })).body[0],
      ).toMatchObject({ error });
    });
  });

  it('keeps every PATCH in the task history, with the status answered', async () => {
    const [task] = sandbox.seed(1);
    await patch(task._id, { state: 'in_progress' });
    await patch(task._id, { state: 'done' });
    await patch(task._id, { state: 'pending' }, 'expired');
    expect(
      view(task._id).patches.map(({ state, status }) => [state, status]),
    ).toEqual([
      ['in_progress', 200],
      ['done', 400],
      ['pending', 403],
    ]);
    // In process the history does not change what the view equals.
    expect(view(task._id)).toEqual(
      (await call<TaskDocument[]>(api('?state=in_progress'), { token }))
        .body[0],
    );
  });
});

describe('the lenient default', () => {
  let sandbox: Sandbox;
  let token: string;

  beforeAll(async () => {
    sandbox = await startSandbox();
    ({ access_token: token } = await fetchToken(
      sandbox.tokenUrl,
      sandbox.clientId,
      sandbox.clientSecret,
      'client_secret_post',
    ));
  });
  afterAll(() => sandbox.close());

  it('keeps every reference behaviour off', async () => {
    const [task] = sandbox.seed(1, { legacy: 1 });
    const api = `${sandbox.url}/api/ai-tasks`;
    const pending = await call(`${api}/pending`, { token });
    expect(pending.headers.get('x-ratelimit-limit')).toBeNull();
    await call(`${api}/${task._id}`, {
      method: 'PATCH',
      token,
      body: { state: 'in_progress' },
    });
    const done = await call(`${api}/${task._id}`, {
      method: 'PATCH',
      token,
      body: { state: 'succeeded', result: [1, 2] },
    });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({ result: [1, 2] });
    const missing = await manual(`${api}/6650f1c2a1b2c3d4e5f60718`, {
      method: 'PATCH',
      token,
      body: { state: 'in_progress' },
    });
    expect(missing.status).toBe(404);
    expect(
      (
        await fetchToken(
          sandbox.tokenUrl,
          sandbox.clientId,
          sandbox.clientSecret,
          'client_secret_basic',
          'read',
        )
      ).scope,
    ).toBe('read');
    expect(sandbox.stats()).toMatchObject({
      callbacks: { dispatches: 0, failures: 0, tasksDispatchedMoreThanOnce: 0 },
      throttled: 0,
      redirects: 0,
    });
  });
});

describe('the reference profile in the built process (npm run build first)', () => {
  it('reads --profile and its switches, and injects callback failures over /admin', async () => {
    const sandbox = await startSandboxProcess(
      { SANDBOX_PROFILE: 'reference' },
      ['--throttle-limit', '0', '--seed', '1'],
    );
    try {
      expect(await sandbox.admin.switches()).toMatchObject({
        profile: 'reference',
        throttleLimit: 0,
        strictIssuer: true,
        storeReports: false,
      });
      const [task] = await sandbox.admin.tasks('pending');
      const id = String(task._id);
      await sandbox.admin.failCallbacks(id, { count: 1, status: 502 });
      const { access_token } = await fetchToken(
        sandbox.tokenUrl,
        sandbox.clientId,
        sandbox.clientSecret,
      );
      const done = await call(`${sandbox.url}/api/ai-tasks/${id}`, {
        method: 'PATCH',
        token: access_token,
        body: { state: 'succeeded', result: [0.5] },
      });
      expect(done.status).toBe(502);
      expect(done.headers.get('x-ratelimit-limit')).toBeNull();
      expect(await sandbox.admin.task(id)).toMatchObject({
        state: 'succeeded',
        result: [0.5],
        callbackDispatches: 1,
        patches: [{ state: 'succeeded', status: 502 }],
      });
      expect((await sandbox.admin.stats()).callbacks).toEqual({
        dispatches: 1,
        failures: 1,
        tasksDispatchedMoreThanOnce: 0,
      });
    } finally {
      expect(await sandbox.stop()).toEqual({ code: 0, signal: null });
    }
  });
});
