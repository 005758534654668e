import { STATUS_CODES, type ServerResponse } from 'node:http';
import { HttpException } from '@nestjs/common';
import { openAiErrorBody } from '../embeddings/openai-error.js';
import type { ActiveError, GarbageKind } from './faults.js';
import type { FaultPoint } from './routes.js';

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
  if (route === 'embeddings')
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
  const body = JSON.stringify(errorBody(route, fault));
  res.statusCode = fault.status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
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

const GARBAGE: Record<GarbageKind, { type: string; body: string }> = {
  'truncated-json': {
    type: 'application/json; charset=utf-8',
    body: '[{"_id":"6650f1c2a1b2c3d4e5f60718","type":"text_embedding","state":"pend',
  },
  html: {
    type: 'text/html; charset=utf-8',
    body: '<html><head><title>502 Bad Gateway</title></head><body>upstream hiccup</body></html>',
  },
  'not-an-array': {
    type: 'application/json; charset=utf-8',
    body: '{"data":"this is not a list of tasks"}',
  },
};

/** A 200 answer that is not what the API promises: a proxy or a half-written body. */
export function answerGarbage(res: ServerResponse, kind: GarbageKind): void {
  const { type, body } = GARBAGE[kind];
  res.statusCode = 200;
  res.setHeader('content-type', type);
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(body);
}
