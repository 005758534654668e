import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import Provider, { type Configuration } from 'oidc-provider';
import { SandboxSettings } from '../settings.js';
import { TokenStore } from './token-store.js';

/** Where the issuer is mounted; its token endpoint is `${ISSUER_PATH}/token`. */
export const ISSUER_PATH = '/oauth2';

/** The tasks API authenticates to the introspection endpoint as this client, like a resource server registered with Ory. */
const INTROSPECTION_CLIENT_ID = 'sandbox-tasks-api';

/**
 * A real OAuth2 authorization server (oidc-provider) limited to what Ory
 * offers this service: the client credentials grant, client_secret_basic or
 * client_secret_post, token introspection and revocation. Routes mirror
 * Hydra's public paths: /oauth2/token, /oauth2/introspect, /oauth2/revoke.
 *
 * The issuer identifier contains the bound port, so the provider is built once
 * the server listens (`start`); until then the routes answer 503.
 */
@Injectable()
export class TokenIssuer {
  private provider: Provider | undefined;
  private handler:
    ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  private readonly introspectionSecret = randomBytes(24).toString('base64url');
  private issuerUrl = '';
  /** Bumped whenever a token is revoked, so that cached introspections are dropped. */
  private revocations = 0;

  constructor(
    @Inject(SandboxSettings) private readonly settings: SandboxSettings,
    @Inject(TokenStore) private readonly store: TokenStore,
  ) {}

  start(baseUrl: string): void {
    this.issuerUrl = `${baseUrl}${ISSUER_PATH}`;
    this.provider = new Provider(this.issuerUrl, this.configuration());
    this.provider.on('client_credentials.destroyed', () => {
      this.revocations += 1;
    });
    this.handler = this.provider.callback();
  }

  /** Express middleware mounted at ISSUER_PATH. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (this.handler) return this.handler(req, res);
    res.statusCode = 503;
    res.end();
  };

  get revocationCount(): number {
    return this.revocations;
  }

  get introspection(): { url: string; authorization: string } {
    const credentials = `${INTROSPECTION_CLIENT_ID}:${this.introspectionSecret}`;
    return {
      url: `${this.issuerUrl}/introspect`,
      authorization: `Basic ${Buffer.from(credentials).toString('base64')}`,
    };
  }

  /** Revokes every token issued so far; answers how many were still valid. */
  revokeAll(): number {
    const revoked = this.store.revokeAll();
    this.revocations += 1;
    return revoked;
  }

  private configuration(): Configuration {
    const signingKey = generateKeyPairSync('ec', {
      namedCurve: 'P-256',
    }).privateKey.export({ format: 'jwk' });
    return {
      adapter: (model) => this.store.adapterFor(model),
      clients: [
        {
          client_id: this.settings.clientId,
          client_secret: this.settings.clientSecret,
          grant_types: ['client_credentials'],
          // oidc-provider accepts either secret method from a client registered with one of them.
          token_endpoint_auth_method: 'client_secret_basic',
          scope: 'read write',
        },
        {
          client_id: INTROSPECTION_CLIENT_ID,
          client_secret: this.introspectionSecret,
          grant_types: [],
        },
      ],
      clientDefaults: {
        grant_types: [],
        response_types: [],
        redirect_uris: [],
        id_token_signed_response_alg: 'ES256',
      },
      scopes: ['read', 'write'],
      features: {
        clientCredentials: { enabled: true },
        introspection: {
          enabled: true,
          allowedPolicy: async (_ctx, caller) =>
            caller.clientId === INTROSPECTION_CLIENT_ID,
        },
        revocation: {
          enabled: true,
          allowedPolicy: async (_ctx, caller, token) =>
            caller.clientId === token.clientId,
        },
        devInteractions: { enabled: false },
      },
      ttl: { ClientCredentials: () => this.settings.tokenTtlSeconds },
      routes: { introspection: '/introspect', revocation: '/revoke' },
      jwks: { keys: [signingKey] },
      cookies: { keys: [randomBytes(32).toString('base64url')] },
      clientBasedCORS: () => false,
    } as Configuration;
  }
}
