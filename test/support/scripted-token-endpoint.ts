import type { ScriptedServer } from './scripted-server.js';

export const TOKEN_ROUTE = 'POST /oauth2/token';

/**
 * Makes a scripted server a token endpoint that issues `token-1`,
 * `token-2`, ... to anyone; `issued` lists them in order.
 */
export function issueTokens(
  server: ScriptedServer,
  expiresIn = 3600,
): { issued: string[] } {
  const issued: string[] = [];
  server.on(TOKEN_ROUTE, () => {
    const token = `token-${issued.length + 1}`;
    issued.push(token);
    return {
      body: {
        access_token: token,
        token_type: 'Bearer',
        expires_in: expiresIn,
      },
    };
  });
  return { issued };
}

/** A valid service environment whose tasks API and token endpoint are the scripted server. */
export function scriptedEnvironment(
  server: ScriptedServer,
  overrides: Record<string, string> = {},
): Record<string, string> {
  return {
    API_BASE_URL: server.url,
    OAUTH2_TOKEN_URL: `${server.url}/oauth2/token`,
    OAUTH2_CLIENT_ID: 'ai-task-processor',
    OAUTH2_CLIENT_SECRET: 'client-secret-value-1234',
    ...overrides,
  };
}
