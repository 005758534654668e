import type { TestingModule } from '@nestjs/testing';
import { METRIC, ReadinessRegistry } from '@app/observability';
import { startLibraryModule } from '../../../test/support/library-module.js';
import { metricValue } from '../../../test/support/metrics.js';
import {
  type ScriptedReply,
  ScriptedServer,
} from '../../../test/support/scripted-server.js';
import { AuthModule } from './auth.module.js';
import { renewalMargin } from './oauth2-token-provider.js';
import { RateLimitGate } from '@app/resilience';
import {
  AUTH_RATE_LIMIT_GATE,
  TOKEN_CLOCK,
  TOKEN_RETRY_BACKOFF,
} from './auth.constants.js';
import { TokenEndpointError, TokenProvider } from './token-provider.js';

const CLIENT_ID = 'processor id';
const CLIENT_SECRET = 's3cr3t:+/&= ü';
const TOKEN_ROUTE = 'POST /oauth2/token';

describe('OAuth2TokenProvider against a scripted token endpoint', () => {
  let server: ScriptedServer;
  let moduleRef: TestingModule | undefined;
  let now: number;
  let issued: number;

  const tokenAnswer = (expiresIn = 3600): ScriptedReply => ({
    body: {
      access_token: `token-${++issued}`,
      token_type: 'bearer',
      expires_in: expiresIn,
      scope: 'read write',
    },
  });

  /** Waits the gate asked for, recorded instead of slept. */
  let gateWaits: number[];

  async function provider(env: Record<string, string> = {}) {
    moduleRef = await startLibraryModule({
      env: {
        API_BASE_URL: server.url,
        OAUTH2_TOKEN_URL: `${server.url}/oauth2/token`,
        OAUTH2_CLIENT_ID: CLIENT_ID,
        OAUTH2_CLIENT_SECRET: CLIENT_SECRET,
        MAX_RETRIES: '2',
        CIRCUIT_BREAKER_THRESHOLD: '3',
        ...env,
      },
      imports: [AuthModule],
      overrides: [
        [TOKEN_RETRY_BACKOFF, { initialDelayMs: 1, maxDelayMs: 2 }],
        [TOKEN_CLOCK, () => now],
        [
          AUTH_RATE_LIMIT_GATE,
          new RateLimitGate({
            now: () => now,
            sleep: async (ms) => {
              gateWaits.push(ms);
              now += ms;
            },
          }),
        ],
      ],
    });
    return moduleRef.get(TokenProvider);
  }

  const tokenRequests = () => server.requestsTo(TOKEN_ROUTE);
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => expect.fail('expected a TokenEndpointError'),
      (error: unknown) => {
        expect(error).toBeInstanceOf(TokenEndpointError);
        return error as TokenEndpointError;
      },
    );

  beforeAll(async () => {
    server = await ScriptedServer.start();
  });
  afterAll(() => server.close());
  beforeEach(() => {
    now = 1_000_000;
    issued = 0;
    gateWaits = [];
    server.reset();
    server.on(TOKEN_ROUTE, () => tokenAnswer());
  });
  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
  });

  it('authenticates with client_secret_basic, form-urlencoding id and secret first', async () => {
    const tokens = await provider();
    expect(await tokens.getToken()).toBe('token-1');
    const [request] = tokenRequests();
    const expected = Buffer.from(
      'processor+id:s3cr3t%3A%2B%2F%26%3D+%C3%BC',
    ).toString('base64');
    expect(request.headers.authorization).toBe(`Basic ${expected}`);
    expect(request.headers['content-type']).toBe(
      'application/x-www-form-urlencoded',
    );
    expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
      grant_type: 'client_credentials',
      scope: 'read write',
    });
  });

  it('authenticates with client_secret_post', async () => {
    const tokens = await provider({
      OAUTH2_TOKEN_AUTH_METHOD: 'client_secret_post',
      OAUTH2_SCOPE: 'tasks:write',
    });
    expect(await tokens.getToken()).toBe('token-1');
    const [request] = tokenRequests();
    expect(request.headers.authorization).toBeUndefined();
    expect(Object.fromEntries(new URLSearchParams(request.body))).toEqual({
      grant_type: 'client_credentials',
      scope: 'tasks:write',
      client_id: CLIENT_ID,
      client_secret: CLIENT_SECRET,
    });
  });

  it('reuses the token until the renewal margin before expiry', async () => {
    server.on(TOKEN_ROUTE, () => tokenAnswer(20));
    const tokens = await provider();
    expect(renewalMargin(20_000)).toBe(2_000);
    expect(await tokens.getToken()).toBe('token-1');
    now += 17_999;
    expect(await tokens.getToken()).toBe('token-1');
    now += 2;
    expect(await tokens.getToken()).toBe('token-2');
    expect(tokenRequests()).toHaveLength(2);
  });

  it('renews an hour-long token a minute early', async () => {
    const tokens = await provider();
    await tokens.getToken();
    now += 3_540_000 - 1;
    expect(await tokens.getToken()).toBe('token-1');
    now += 1;
    expect(await tokens.getToken()).toBe('token-2');
  });

  it('shares one request among 50 concurrent callers', async () => {
    server.on(TOKEN_ROUTE, () => ({ ...tokenAnswer(), delayMs: 50 }));
    const tokens = await provider();
    const all = await Promise.all(
      Array.from({ length: 50 }, () => tokens.getToken()),
    );
    expect(new Set(all)).toEqual(new Set(['token-1']));
    expect(tokenRequests()).toHaveLength(1);
  });

  it('drops the token on invalidate, unless another one replaced it already', async () => {
    const tokens = await provider();
    await tokens.getToken();
    tokens.invalidate('token-0');
    expect(await tokens.getToken()).toBe('token-1');
    tokens.invalidate('token-1');
    expect(await tokens.getToken()).toBe('token-2');
    tokens.invalidate();
    expect(await tokens.getToken()).toBe('token-3');
  });

  it('says that the credentials were refused, without retrying or leaking the secret', async () => {
    server.on(TOKEN_ROUTE, {
      status: 401,
      body: {
        error: 'invalid_client',
        error_description: 'client authentication failed',
      },
    });
    const tokens = await provider();
    const failuresBefore = await metricValue(METRIC.tokenRequests, {
      status: 'failure',
    });
    const error = await failure(tokens.getToken());
    expect(error.message).toBe(
      'the token endpoint refused the client credentials (invalid_client: client authentication failed): check OAUTH2_CLIENT_ID, OAUTH2_CLIENT_SECRET and OAUTH2_TOKEN_AUTH_METHOD (now client_secret_basic)',
    );
    expect(error.transient).toBe(false);
    expect(tokenRequests()).toHaveLength(1);
    expect(
      (await metricValue(METRIC.tokenRequests, { status: 'failure' })) -
        failuresBefore,
    ).toBe(1);
  });

  it.each([
    [{ error: 'invalid_scope' }, 'refused the requested scope "read write"'],
    [
      { error: 'unauthorized_client' },
      'does not allow this client the client_credentials grant',
    ],
    [
      { error: 'invalid_request', error_description: `bad ${CLIENT_SECRET}` },
      'refused the request with 400 (invalid_request: bad [REDACTED])',
    ],
  ])('explains a 400 answer %j', async (body, explanation) => {
    server.on(TOKEN_ROUTE, { status: 400, body });
    const error = await failure((await provider()).getToken());
    expect(error.message).toContain(explanation);
    expect(error.transient).toBe(false);
  });

  it('retries transient failures and counts every request', async () => {
    server.once(
      TOKEN_ROUTE,
      { status: 503 },
      { status: 429, body: { error: 'too_many_requests' } },
    );
    const tokens = await provider();
    const before = {
      success: await metricValue(METRIC.tokenRequests, { status: 'success' }),
      failure: await metricValue(METRIC.tokenRequests, { status: 'failure' }),
    };
    expect(await tokens.getToken()).toBe('token-1');
    expect(tokenRequests()).toHaveLength(3);
    expect(
      (await metricValue(METRIC.tokenRequests, { status: 'success' })) -
        before.success,
    ).toBe(1);
    expect(
      (await metricValue(METRIC.tokenRequests, { status: 'failure' })) -
        before.failure,
    ).toBe(2);
  });

  it('gives up after MAX_RETRIES with the last transient failure', async () => {
    server.on(TOKEN_ROUTE, { status: 502 });
    const error = await failure((await provider()).getToken());
    expect(error.message).toBe('the token endpoint answered 502');
    expect(error.transient).toBe(true);
    expect(tokenRequests()).toHaveLength(3);
  });

  it('says how long it waited when the endpoint does not answer', async () => {
    server.on(TOKEN_ROUTE, { hang: true });
    const tokens = await provider({ REQUEST_TIMEOUT: '1', MAX_RETRIES: '0' });
    const error = await failure(tokens.getToken());
    expect(error.message).toBe('the token endpoint did not answer within 1 s');
    expect(error.transient).toBe(true);
  });

  it('says when the endpoint cannot be reached', async () => {
    const tokens = await provider({
      OAUTH2_TOKEN_URL: 'http://127.0.0.1:9/oauth2/token',
      MAX_RETRIES: '0',
    });
    const error = await failure(tokens.getToken());
    expect(error.message).toBe(
      'the token endpoint could not be reached (ECONNREFUSED)',
    );
  });

  it('opens its breaker after repeated failures and then fails fast', async () => {
    server.on(TOKEN_ROUTE, { status: 401, body: { error: 'invalid_client' } });
    const tokens = await provider();
    for (let call = 0; call < 3; call++) await failure(tokens.getToken());
    expect(await metricValue(METRIC.breakerState, { service: 'auth' })).toBe(1);
    const error = await failure(tokens.getToken());
    expect(error.message).toBe(
      'the token endpoint is not called while its circuit breaker is open (last failure: the token endpoint refused the client credentials (invalid_client): check OAUTH2_CLIENT_ID, OAUTH2_CLIENT_SECRET and OAUTH2_TOKEN_AUTH_METHOD (now client_secret_basic))',
    );
    expect(tokenRequests()).toHaveLength(3);
  });

  it('keeps using a still-valid token when the early renewal fails', async () => {
    const tokens = await provider({ MAX_RETRIES: '0' });
    await tokens.getToken();
    server.on(TOKEN_ROUTE, { status: 503 });
    now += 3_599_000;
    expect(await tokens.getToken()).toBe('token-1');
    now += 1_000;
    await failure(tokens.getToken());
  });

  it('names OAUTH2_TOKEN_AUTH_METHOD when the issuer expects the other method', async () => {
    server.on(TOKEN_ROUTE, {
      status: 401,
      body: {
        error: 'invalid_client',
        error_description:
          "Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method). The OAuth 2.0 Client supports client authentication method 'client_secret_basic', but method 'client_secret_post' was requested. You must configure the OAuth 2.0 client's 'token_endpoint_auth_method' value to accept 'client_secret_post'.",
      },
    });
    const tokens = await provider({
      OAUTH2_TOKEN_AUTH_METHOD: 'client_secret_post',
    });
    const error = await failure(tokens.getToken());
    expect(error.message).toBe(
      'the token endpoint refused client authentication method client_secret_post: the client is registered for client_secret_basic; set OAUTH2_TOKEN_AUTH_METHOD=client_secret_basic (now client_secret_post)',
    );
    expect(error.transient).toBe(false);
  });

  it('names OAUTH2_SCOPE when the issuer refuses the scope', async () => {
    server.on(TOKEN_ROUTE, {
      status: 400,
      body: {
        error: 'invalid_scope',
        error_description:
          "The OAuth 2.0 Client is not allowed to request scope 'admin'.",
      },
    });
    const error = await failure(
      (await provider({ OAUTH2_SCOPE: 'admin' })).getToken(),
    );
    expect(error.message).toBe(
      `the token endpoint refused the requested scope "admin" (invalid_scope: The OAuth 2.0 Client is not allowed to request scope 'admin'.): set OAUTH2_SCOPE to scopes the client is allowed`,
    );
  });

  it('waits out a 429 as the issuer asks, without opening the breaker', async () => {
    server.once(
      TOKEN_ROUTE,
      ...Array.from({ length: 4 }, () => ({
        status: 429,
        headers: { 'retry-after': '7' },
        body: { error: 'temporarily_unavailable' },
      })),
    );
    // Three consecutive failures would open this breaker; 429s are not failures.
    const tokens = await provider({ MAX_RETRIES: '5' });
    expect(await tokens.getToken()).toBe('token-1');
    expect(tokenRequests()).toHaveLength(5);
    expect(gateWaits.filter((ms) => ms > 6_000)).toHaveLength(4);
    expect(await metricValue(METRIC.breakerState, { service: 'auth' })).toBe(0);
    expect(
      await metricValue(METRIC.throttled, { service: 'auth' }),
    ).toBeGreaterThanOrEqual(4);
  });

  it('reports readiness: a token can be had, or why not', async () => {
    const tokens = await provider();
    const check = new Map(moduleRef!.get(ReadinessRegistry).entries()).get(
      'token',
    )!;
    await expect(Promise.resolve(check())).resolves.toBeUndefined();
    tokens.invalidate();
    server.on(TOKEN_ROUTE, { status: 401, body: { error: 'invalid_client' } });
    await expect(Promise.resolve(check())).rejects.toThrow(
      'the token endpoint refused the client credentials (invalid_client): check OAUTH2_CLIENT_ID, OAUTH2_CLIENT_SECRET and OAUTH2_TOKEN_AUTH_METHOD (now client_secret_basic)',
    );
  });

  it('refuses an answer without a bearer access token', async () => {
    server.on(TOKEN_ROUTE, { body: { token_type: 'bearer' } });
    const tokens = await provider();
    expect((await failure(tokens.getToken())).message).toBe(
      'the token endpoint answered 200 without an access_token',
    );
    server.on(TOKEN_ROUTE, { body: { access_token: 'x', token_type: 'mac' } });
    expect((await failure(tokens.getToken())).message).toContain(
      'only Bearer tokens are supported',
    );
  });
});
