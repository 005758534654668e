/**
 * HTTP to a running sandbox: its issuer and its `/admin` routes. Nothing
 * here imports the sandbox's sources, so the benchmark, which Node runs
 * without a build step, uses it as the tests do.
 */

export interface TokenAnswer {
  access_token: string;
  token_type: string;
  expires_in: number;
  scope?: string;
}

/** Gets an access token from a token endpoint with the client credentials grant. */
export async function fetchToken(
  tokenUrl: string,
  clientId: string,
  clientSecret: string,
  method: 'client_secret_basic' | 'client_secret_post' = 'client_secret_basic',
  scope = 'read write',
): Promise<TokenAnswer> {
  const form = new URLSearchParams({ grant_type: 'client_credentials', scope });
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
  };
  if (method === 'client_secret_post') {
    form.set('client_id', clientId);
    form.set('client_secret', clientSecret);
  } else {
    headers.authorization = `Basic ${Buffer.from(
      `${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`,
    ).toString('base64')}`;
  }
  const response = await fetch(tokenUrl, {
    method: 'POST',
    headers,
    body: form,
    signal: AbortSignal.timeout(30_000),
  });
  if (!response.ok)
    throw new Error(
      `token endpoint answered ${response.status}: ${await response.text()}`,
    );
  return (await response.json()) as TokenAnswer;
}

/** One call to the sandbox's `/admin` routes: the parsed JSON answer, or an error naming the status. */
export async function adminRequest<T>(
  baseUrl: string,
  method: string,
  path: string,
  body?: unknown,
): Promise<T> {
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    // Generous: the timings of a 20,000-task benchmark backlog are large.
    signal: AbortSignal.timeout(60_000),
  });
  const text = await response.text();
  if (!response.ok)
    throw new Error(`${method} ${path} answered ${response.status}: ${text}`);
  return (text ? JSON.parse(text) : undefined) as T;
}
