import {
  call,
  fetchToken,
  startSandbox,
  type Sandbox,
} from './support/sandbox.js';

describe('sandbox token issuer (oidc-provider) and the tasks API guard', () => {
  let sandbox: Sandbox;
  const pending = (token: string) =>
    call(`${sandbox.url}/api/ai-tasks/pending`, { token });
  const token = (method?: 'client_secret_basic' | 'client_secret_post') =>
    fetchToken(
      sandbox.tokenUrl,
      sandbox.clientId,
      sandbox.clientSecret,
      method,
    );
  /** RFC 7009 revocation or RFC 7662 introspection of `token`, as our client. */
  const asOurClient = (endpoint: 'revoke' | 'introspect', token: string) =>
    call(`${sandbox.url}/oauth2/${endpoint}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        token,
        client_id: sandbox.clientId,
        client_secret: sandbox.clientSecret,
      }).toString(),
    });

  beforeAll(async () => {
    sandbox = await startSandbox({
      clientId: 'processor',
      clientSecret: 'a secret: with symbols/+=',
      tokenTtlSeconds: 2,
    });
  });
  afterAll(() => sandbox.close());
  afterEach(() => {
    vi.useRealTimers();
    sandbox.revokeAllTokens();
    sandbox.reset();
  });

  it.each(['client_secret_basic', 'client_secret_post'] as const)(
    'issues a bearer token with %s that the tasks API accepts',
    async (method) => {
      const answer = await token(method);
      expect(answer).toEqual({
        access_token: expect.any(String),
        token_type: 'Bearer',
        expires_in: 2,
        scope: 'read write',
      });
      expect((await pending(answer.access_token)).status).toBe(200);
    },
  );

  it('refuses a wrong secret and an unknown client with 401 invalid_client', async () => {
    await expect(
      fetchToken(sandbox.tokenUrl, sandbox.clientId, 'wrong'),
    ).rejects.toThrow(/401.*invalid_client/);
    await expect(
      fetchToken(
        sandbox.tokenUrl,
        'someone-else',
        sandbox.clientSecret,
        'client_secret_post',
      ),
    ).rejects.toThrow(/401.*invalid_client/);
    const noGrant = await call(sandbox.tokenUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'grant_type=password&username=a&password=b',
    });
    expect(noGrant.status).toBe(400);
  });

  it('refuses an expired token with 403', async () => {
    const { access_token } = await token();
    expect((await pending(access_token)).status).toBe(200);
    // Only Date is faked: the issuer and the guard both read the clock from it.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 3000);
    expect((await pending(access_token)).status).toBe(403);
  });

  it('refuses revoked tokens with 403 at once, even when the last answer was cached', async () => {
    const first = await token();
    const second = await token('client_secret_post');
    expect((await pending(first.access_token)).status).toBe(200);
    expect((await pending(second.access_token)).status).toBe(200);
    expect(sandbox.revokeAllTokens()).toBe(2);
    expect((await pending(first.access_token)).status).toBe(403);
    expect((await pending(second.access_token)).status).toBe(403);
    const fresh = await token();
    expect((await pending(fresh.access_token)).status).toBe(200);
  });

  it('honours RFC 7009 revocation at /oauth2/revoke', async () => {
    const { access_token } = await token();
    expect((await pending(access_token)).status).toBe(200);
    const revoked = await asOurClient('revoke', access_token);
    expect(revoked.status).toBe(200);
    expect((await pending(access_token)).status).toBe(403);
  });

  it('introspects a token once for many calls, and not for other clients', async () => {
    const { access_token } = await token();
    await Promise.all(Array.from({ length: 20 }, () => pending(access_token)));
    await pending(access_token);
    expect(sandbox.stats().requests.introspection.total).toBe(1);
    const byProcessor = await asOurClient('introspect', access_token);
    expect(byProcessor.body).toEqual({ active: false });
  });
});
