import type { IncomingHttpHeaders, ServerResponse } from 'node:http';
import { scopeList, type ClientAuthMethod } from '../settings.js';

/** An OAuth2 error as Ory (fosite) answers it. */
export interface OryRefusal {
  status: number;
  error: string;
  error_description: string;
}

export interface RegisteredClient {
  clientId: string;
  clientSecret: string;
  authMethod: ClientAuthMethod;
  scopes: string;
}

type UsedMethod = ClientAuthMethod | 'none';

/** RFC 6749 §2.3.1: the id and the secret are form-encoded before Basic. */
function formDecode(value: string): string | undefined {
  try {
    return decodeURIComponent(value.replace(/\+/g, '%20'));
  } catch {
    return undefined;
  }
}

interface Presented {
  method: UsedMethod;
  clientId: string | undefined;
  clientSecret: string | undefined;
}

function presented(
  headers: IncomingHttpHeaders,
  form: URLSearchParams,
): Presented {
  const basic = /^Basic\s+(\S+)\s*$/i.exec(headers.authorization ?? '')?.[1];
  if (basic !== undefined) {
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    if (colon < 0)
      return {
        method: 'client_secret_basic',
        clientId: undefined,
        clientSecret: undefined,
      };
    return {
      method: 'client_secret_basic',
      clientId: formDecode(decoded.slice(0, colon)),
      clientSecret: formDecode(decoded.slice(colon + 1)),
    };
  }
  const clientSecret = form.get('client_secret') ?? undefined;
  return {
    method: clientSecret ? 'client_secret_post' : 'none',
    clientId: form.get('client_id') ?? undefined,
    clientSecret,
  };
}

/**
 * What Ory answers, before any token is issued, where oidc-provider would be
 * more lenient: the registered client authenticating with a method it was not
 * registered with (401 invalid_client, checked before the secret, as fosite
 * does), or, once authenticated, asking for a scope it may not request (400
 * invalid_scope). Anything else (unknown client, wrong secret, other grants)
 * is left to the issuer. `form` is the request's body.
 */
export function strictRefusal(
  client: RegisteredClient,
  headers: IncomingHttpHeaders,
  form: URLSearchParams,
  checkScopes: boolean,
): OryRefusal | undefined {
  const used = presented(headers, form);
  if (used.clientId !== client.clientId) return undefined;
  if (used.method !== client.authMethod)
    return {
      status: 401,
      error: 'invalid_client',
      error_description:
        'Client authentication failed (e.g., unknown client, no client authentication included, or unsupported authentication method). ' +
        `The OAuth 2.0 Client supports client authentication method '${client.authMethod}', but method '${used.method}' was requested. ` +
        `You must configure the OAuth 2.0 client's 'token_endpoint_auth_method' value to accept '${used.method}'.`,
    };
  if (used.clientSecret !== client.clientSecret) return undefined;
  if (!checkScopes || form.get('grant_type') !== 'client_credentials')
    return undefined;
  const allowed = new Set(scopeList(client.scopes));
  const refused = scopeList(form.get('scope') ?? '').find(
    (scope) => !allowed.has(scope),
  );
  if (refused === undefined) return undefined;
  return {
    status: 400,
    error: 'invalid_scope',
    error_description:
      'The requested scope is invalid, unknown, or malformed. ' +
      `The OAuth 2.0 Client is not allowed to request scope '${refused}'.`,
  };
}

/** Ory's answer to a token or revocation request without a form. */
export const EMPTY_FORM: OryRefusal = {
  status: 400,
  error: 'invalid_request',
  error_description:
    'The request is missing a required parameter, includes an invalid parameter value, includes a parameter more than once, or is otherwise malformed. ' +
    'The POST body can not be empty.',
};

/** Writes a refusal as Ory does: JSON, never cached. */
export function answerRefusal(res: ServerResponse, refusal: OryRefusal): void {
  const body = JSON.stringify({
    error: refusal.error,
    error_description: refusal.error_description,
  });
  res.statusCode = refusal.status;
  res.setHeader('content-type', 'application/json;charset=UTF-8');
  res.setHeader('cache-control', 'no-store');
  res.setHeader('pragma', 'no-cache');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}
