import type { Dispatcher } from 'undici';
import { TasksApiError } from './tasks-api-client.js';

/** `endpoint` label values: route templates, never a concrete id. */
export type Route =
  '/api/ai-tasks/pending' | '/api/ai-tasks/:id' | '/api/ai-tasks';

/**
 * An answer's body. An unneeded one is read to its end with `dump` so that
 * the keep-alive connection can carry the next request (past its limit the
 * connection is dropped instead): no async iterator per PATCH answer.
 */
export type AnswerBody = Dispatcher.ResponseData['body'];

/** One operation on the tasks API, as the client asks the policies to carry it out. */
export interface TasksApiCall<T> {
  route: Route;
  method: 'GET' | 'PATCH';
  path: string;
  /** Serialised JSON. */
  body?: string | Buffer;
  /** Reads a 2xx answer. */
  read: (body: AnswerBody) => Promise<T>;
  /** A 4xx (other than 401/403) that is an answer, not an error. */
  accept?: (status: number) => T | undefined;
}

/**
 * What a call came to, when not to an outage: its answer, or the API's
 * refusal of the request (a 4xx, a body that breaks the contract), or a
 * redirect, which the reference application answers for "not found".
 */
export type Outcome<T> =
  | { kind: 'answer'; value: T }
  | { kind: 'refusal'; error: TasksApiError }
  | { kind: 'redirected'; status: number; location: string | undefined };

/**
 * What one exchange came to. Outcomes, 401/403 and 429s are returned, not
 * thrown, so that the breaker counts them as the API being up; outages
 * (network, timeout, 408, 5xx) are thrown as `UpstreamFailure`s.
 */
export type Attempt<T> =
  Outcome<T> | { kind: 'credentials'; status: number } | { kind: 'throttled' };

/** A 2xx answer whose body is not what the contract promises. */
export class InvalidAnswerError extends TasksApiError {}
