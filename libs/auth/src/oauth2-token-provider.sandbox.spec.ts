import type { TestingModule } from '@nestjs/testing';
import { startLibraryModule } from '../../../test/support/library-module.js';
import {
  type Sandbox,
  call,
  startSandbox,
} from '../../../test/support/sandbox.js';
import { connectionEnvironment } from '../../../test/support/service-against-sandbox.js';
import { AuthModule } from './auth.module.js';
import { TOKEN_CLOCK, TOKEN_RETRY_BACKOFF } from './auth.constants.js';
import { TokenEndpointError, TokenProvider } from './token-provider.js';

/** The token provider against the sandbox's real OAuth2 server (oidc-provider). */
describe('OAuth2TokenProvider against the sandbox issuer', () => {
  let sandbox: Sandbox;
  let moduleRef: TestingModule | undefined;
  let now: number;

  async function provider(env: Record<string, string> = {}) {
    moduleRef = await startLibraryModule({
      env: {
        ...connectionEnvironment(sandbox),
        MAX_RETRIES: '0',
        ...env,
      },
      imports: [AuthModule],
      overrides: [
        [TOKEN_RETRY_BACKOFF, { initialDelayMs: 1, maxDelayMs: 2 }],
        [TOKEN_CLOCK, () => now],
      ],
    });
    return moduleRef.get(TokenProvider);
  }

  const tokenRequests = () => sandbox.stats().requests.token.total;
  /** Whether the sandbox's tasks API accepts the token. */
  const accepted = async (token: string) =>
    (await call(`${sandbox.url}/api/ai-tasks?state=pending`, { token }))
      .status === 200;

  beforeAll(async () => {
    sandbox = await startSandbox({ tokenTtlSeconds: 20 });
  });
  afterAll(() => sandbox.close());
  beforeEach(() => {
    now = Date.now();
    sandbox.reset();
  });
  afterEach(async () => {
    await moduleRef?.close();
    moduleRef = undefined;
  });

  it.each(['client_secret_basic', 'client_secret_post'])(
    'obtains a token the tasks API accepts with %s',
    async (method) => {
      const tokens = await provider({ OAUTH2_TOKEN_AUTH_METHOD: method });
      const token = await tokens.getToken();
      expect(await accepted(token)).toBe(true);
      expect(tokenRequests()).toBe(1);
    },
  );

  it('explains a wrong secret', async () => {
    const tokens = await provider({ OAUTH2_CLIENT_SECRET: 'not-the-secret' });
    const error = await tokens.getToken().catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(TokenEndpointError);
    expect((error as TokenEndpointError).message).toBe(
      'the token endpoint refused the client credentials (invalid_client: client authentication failed): check OAUTH2_CLIENT_ID, OAUTH2_CLIENT_SECRET and OAUTH2_TOKEN_AUTH_METHOD (now client_secret_basic)',
    );
    expect((error as TokenEndpointError).transient).toBe(false);
  });

  it('renews a short-lived token before it expires', async () => {
    const tokens = await provider();
    const first = await tokens.getToken();
    now += 17_500; // 20 s token: renewed 2 s before the end
    expect(await tokens.getToken()).toBe(first);
    expect(tokenRequests()).toBe(1);
    now += 600;
    const second = await tokens.getToken();
    expect(second).not.toBe(first);
    expect(tokenRequests()).toBe(2);
    // The old token was still valid: the renewal came before its expiry.
    expect(await accepted(first)).toBe(true);
    expect(await accepted(second)).toBe(true);
  });

  it('lets 50 concurrent callers share one token request', async () => {
    const tokens = await provider();
    const all = await Promise.all(
      Array.from({ length: 50 }, () => tokens.getToken()),
    );
    expect(new Set(all).size).toBe(1);
    expect(tokenRequests()).toBe(1);
  });
});
