import { STATUS_CODES, type ServerResponse } from 'node:http';
import { HttpException } from '@nestjs/common';
import { openAiErrorBody } from '../embeddings/openai-error.js';
import { wikimediaErrorPage } from '../wikidata/wikimedia-answers.js';
import type { ActiveError, GarbageKind } from './faults.js';
import type { FaultPoint, GarbageTarget } from './routes.js';

/** The OAuth2 error code (RFC 6749 §5.2) an injected token-endpoint status stands for. */
function oauthError(status: number): string {
  if (status === 400) return 'invalid_request';
  if (status === 401) return 'invalid_client';
  if (status === 429 || status === 503) return 'temporarily_unavailable';
  return 'server_error';
}

/** Each route fails in the shape its real counterpart uses, so clients parse what they would in production. */
function errorBody(route: FaultPoint, fault: ActiveError): unknown {
  const message = fault.message ?? `injected fault: ${fault.status}`;
  if (route === 'embeddings' || route === 'chat')
    return openAiErrorBody(fault.status, fault.message);
  if (route === 'token')
    return { error: oauthError(fault.status), error_description: message };
  return {
    statusCode: fault.status,
    message,
    error: STATUS_CODES[fault.status] ?? 'Error',
  };
}

function setRetryAfter(res: ServerResponse, fault: ActiveError): void {
  if (fault.retryAfterMs === undefined) return;
  res.setHeader('retry-after', String(Math.ceil(fault.retryAfterMs / 1000)));
  res.setHeader('retry-after-ms', String(fault.retryAfterMs));
}

export function answerFault(
  route: FaultPoint,
  res: ServerResponse,
  fault: ActiveError,
): void {
  // Wikimedia's edge answers an outage with its HTML error page, not the API's JSON.
  const html = route === 'wikidata';
  const body = html
    ? wikimediaErrorPage(fault.status, fault.message)
    : JSON.stringify(errorBody(route, fault));
  res.statusCode = fault.status;
  res.setHeader(
    'content-type',
    html ? 'text/html; charset=utf-8' : 'application/json; charset=utf-8',
  );
  res.setHeader('content-length', Buffer.byteLength(body));
  setRetryAfter(res, fault);
  res.end(body);
}

/** The same answer as an exception, for faults that only a controller can decide (the kind of a PATCH). */
export function faultException(
  point: FaultPoint,
  res: ServerResponse,
  fault: ActiveError,
): HttpException {
  setRetryAfter(res, fault);
  return new HttpException(errorBody(point, fault) as object, fault.status);
}

const JSON_TYPE = 'application/json; charset=utf-8';
const PROXY_PAGE = {
  type: 'text/html; charset=utf-8',
  body: '<html><head><title>502 Bad Gateway</title></head><body>upstream hiccup</body></html>',
};

/** Per target: a body cut mid-document, a proxy's page, and JSON of another shape. */
const GARBAGE: Record<
  GarbageTarget,
  Record<GarbageKind, { type: string; body: string }>
> = {
  pending: {
    'truncated-json': {
      type: JSON_TYPE,
      body: '[{"_id":"6650f1c2a1b2c3d4e5f60718","type":"text_embedding","state":"pend',
    },
    html: PROXY_PAGE,
    'not-an-array': {
      type: JSON_TYPE,
      body: '{"data":"this is not a list of tasks"}',
    },
  },
  chat: {
    'truncated-json': {
      type: JSON_TYPE,
      body: '{"id":"chatcmpl-sandboxgarbage","object":"chat.completion","created":1767225600,"model":"gpt-4o-mini","choices":[{"index":0,"message":{"role":"assistant","content":"{\\"perso',
    },
    html: PROXY_PAGE,
    'not-an-array': {
      type: JSON_TYPE,
      body: '{"data":"this is not a chat completion"}',
    },
  },
  wikidata: {
    'truncated-json': {
      type: JSON_TYPE,
      body: '{"searchinfo":{"search":"Lu"},"search":[{"id":"Q37181","title":"Q3',
    },
    html: PROXY_PAGE,
    'not-an-array': {
      type: JSON_TYPE,
      body: '{"data":"this is not a MediaWiki answer"}',
    },
  },
};

/** A 200 answer that is not what the API promises: a proxy or a half-written body. */
export function answerGarbage(
  res: ServerResponse,
  kind: GarbageKind,
  target: GarbageTarget = 'pending',
): void {
  const { type, body } = GARBAGE[target][kind];
  res.statusCode = 200;
  res.setHeader('content-type', type);
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}
