import { strictRefusal, type RegisteredClient } from './strict-client.js';

const client: RegisteredClient = {
  clientId: 'processor',
  clientSecret: 's3cret/+',
  authMethod: 'client_secret_basic',
  scopes: 'read write',
};

const basic = (id: string, secret: string) => ({
  authorization: `Basic ${Buffer.from(
    `${encodeURIComponent(id)}:${encodeURIComponent(secret)}`,
  ).toString('base64')}`,
});

const form = (fields: Record<string, string>) => new URLSearchParams(fields);

describe('strictRefusal (Ory in front of oidc-provider)', () => {
  it('accepts the registered method and scopes', () => {
    expect(
      strictRefusal(
        client,
        basic('processor', 's3cret/+'),
        form({ grant_type: 'client_credentials', scope: 'read write' }),
        true,
      ),
    ).toBeUndefined();
  });

  it('refuses another method before looking at the secret, in fosite words', () => {
    expect(
      strictRefusal(
        client,
        {},
        form({
          grant_type: 'client_credentials',
          client_id: 'processor',
          client_secret: 'wrong',
        }),
        true,
      ),
    ).toEqual({
      status: 401,
      error: 'invalid_client',
      error_description:
        "Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method). The OAuth 2.0 Client supports client authentication method 'client_secret_basic', but method 'client_secret_post' was requested. You must configure the OAuth 2.0 client's 'token_endpoint_auth_method' value to accept 'client_secret_post'.",
    });
    expect(
      strictRefusal(
        { ...client, authMethod: 'client_secret_post' },
        basic('processor', 's3cret/+'),
        form({ grant_type: 'client_credentials' }),
        true,
      )?.error_description,
    ).toContain(
      "supports client authentication method 'client_secret_post', but method 'client_secret_basic' was requested",
    );
  });

  it('refuses the first scope the client may not request, once authenticated', () => {
    expect(
      strictRefusal(
        client,
        basic('processor', 's3cret/+'),
        form({ grant_type: 'client_credentials', scope: 'read admin root' }),
        true,
      ),
    ).toEqual({
      status: 400,
      error: 'invalid_scope',
      error_description:
        "The requested scope is invalid, unknown, or malformed. The OAuth 2.0 Client is not allowed to request scope 'admin'.",
    });
  });

  it('leaves other clients, wrong secrets and other endpoints to the issuer', () => {
    const admin = form({ grant_type: 'client_credentials', scope: 'admin' });
    expect(
      strictRefusal(client, basic('someone', 's3cret/+'), admin, true),
    ).toBeUndefined();
    expect(
      strictRefusal(client, basic('processor', 'wrong'), admin, true),
    ).toBeUndefined();
    expect(
      strictRefusal(client, basic('processor', 's3cret/+'), admin, false),
    ).toBeUndefined();
  });
});
