import { generateKeyPairSync, randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Inject, Injectable } from '@nestjs/common';
import Provider, { type Configuration } from 'oidc-provider';
import { SandboxSettings, scopeList } from '../settings.js';
import { peekBody } from './peek-body.js';
import { answerRefusal, EMPTY_FORM, strictRefusal } from './strict-client.js';
import { TokenStore } from './token-store.js';

/** Where the issuer is mounted; its token endpoint is `${ISSUER_PATH}/token`. */
export const ISSUER_PATH = '/oauth2';

/** The tasks API authenticates to the introspection endpoint as this client, like a resource server registered with Ory. */
const INTROSPECTION_CLIENT_ID = 'sandbox-tasks-api';

/** oidc-provider reads bodies up to 56 KiB; the strict check reads no more. */
const FORM_LIMIT = 56 * 1024;

/** The endpoints where Ory authenticates the client itself (and, at the token endpoint, checks scopes). */
const CLIENT_AUTH_PATHS = new Set(['/token', '/revoke']);

/**
 * A real OAuth2 authorization server (oidc-provider) limited to what Ory
 * offers this service: the client credentials grant, client_secret_basic or
 * client_secret_post, token introspection and revocation. Routes mirror
 * Hydra's public paths: /oauth2/token, /oauth2/introspect, /oauth2/revoke.
 *
 * The issuer identifier contains the bound port, so the provider is built once
 * the server listens (`start`); until then the routes answer 503. It is built
 * again when `clientScopes` changes (tokens live in the store and survive).
 *
 * With `strictIssuer`, a check in front of the provider answers as Ory does
 * where oidc-provider is more lenient (see strict-client.ts); it reads the
 * form without consuming it.
 */
@Injectable()
export class TokenIssuer {
  private provider: Provider | undefined;
  private handler:
    ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  private readonly introspectionSecret = randomBytes(24).toString('base64url');
  private issuerUrl = '';
  /** The `clientScopes` the provider was built with. */
  private builtScopes = '';
  /** Bumped whenever a token is revoked, so that cached introspections are dropped. */
  private revocations = 0;

  constructor(
    @Inject(SandboxSettings) private readonly settings: SandboxSettings,
    @Inject(TokenStore) private readonly store: TokenStore,
  ) {}

  start(baseUrl: string): void {
    this.issuerUrl = `${baseUrl}${ISSUER_PATH}`;
    this.build();
  }

  private build(): void {
    this.builtScopes = this.settings.clientScopes;
    this.provider = new Provider(this.issuerUrl, this.configuration());
    this.provider.on('client_credentials.destroyed', () => {
      this.revocations += 1;
    });
    this.handler = this.provider.callback();
  }

  /** Express middleware mounted at ISSUER_PATH. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    if (!this.handler) {
      res.statusCode = 503;
      res.end();
      return;
    }
    if (this.builtScopes !== this.settings.clientScopes) this.build();
    const path = (req.url ?? '').split('?')[0];
    if (
      this.settings.strictIssuer &&
      req.method === 'POST' &&
      CLIENT_AUTH_PATHS.has(path)
    )
      return void this.strictly(req, res, path === '/token');
    this.pass(req, res);
  };

  private pass(req: IncomingMessage, res: ServerResponse): void {
    this.handler?.(req, res);
  }

  private async strictly(
    req: IncomingMessage,
    res: ServerResponse,
    checkScopes: boolean,
  ): Promise<void> {
    const form = (req.headers['content-type'] ?? '')
      .toLowerCase()
      .startsWith('application/x-www-form-urlencoded')
      ? await peekBody(req, FORM_LIMIT)
      : undefined;
    // Ory refuses an empty form first (and an empty chunked body cannot be put back).
    if (form?.length === 0) return answerRefusal(res, EMPTY_FORM);
    const refusal = strictRefusal(
      {
        clientId: this.settings.clientId,
        clientSecret: this.settings.clientSecret,
        authMethod: this.settings.clientAuthMethod,
        scopes: this.settings.clientScopes,
      },
      req.headers,
      new URLSearchParams(form?.toString('utf8') ?? ''),
      checkScopes,
    );
    if (refusal) return answerRefusal(res, refusal);
    this.pass(req, res);
  }

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
    const scopes = scopeList(this.builtScopes);
    return {
      adapter: (model) => this.store.adapterFor(model),
      clients: [
        {
          client_id: this.settings.clientId,
          client_secret: this.settings.clientSecret,
          grant_types: ['client_credentials'],
          // oidc-provider accepts either secret method from a client registered
          // with one of them; `strictIssuer` enforces `clientAuthMethod` in front.
          token_endpoint_auth_method: 'client_secret_basic',
          scope: scopes.join(' '),
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
      scopes,
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
