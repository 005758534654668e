import { float32Json } from './float32-json.js';
import { TasksApiError } from './tasks-api-client.js';

/** Longest `error.message` reported: messages may quote a peer's text. */
export const MAX_FAILURE_MESSAGE_LENGTH = 1_000;

const SUCCESS_PREFIX = '{"state":"succeeded","result":';
const SUCCESS_SUFFIX = '}';

export const CLAIM_BODY = '{"state":"in_progress"}';
export const RELEASE_BODY = '{"state":"pending"}';

/**
 * A result whose PATCH body would exceed the API's request size limit: it
 * is never sent. A refusal (the same result is refused every time), whose
 * `bytes` is the body's size, or a lower bound when the result was too
 * large to be worth writing out.
 */
export class ResultTooLargeError extends TasksApiError {
  constructor(
    readonly bytes: number,
    readonly limit: number,
    exact: boolean,
  ) {
    super(
      `the result is ${exact ? '' : 'at least '}${bytes} bytes as JSON, more than the ${limit} bytes the tasks API accepts in one request (API_MAX_REQUEST_BYTES)`,
      'refused',
    );
    this.name = 'ResultTooLargeError';
  }
}

/** The shortest body an array result of `length` values can have: one character each, and commas. */
const smallestSuccessBody = (length: number): number =>
  SUCCESS_PREFIX.length +
  2 +
  Math.max(0, 2 * length - 1) +
  SUCCESS_SUFFIX.length;

/**
 * The success report of any JSON result: a vector (docs/contract.md §1) or
 * the object or array of another task type (§1a). A Buffer rather than a
 * string: it lives outside the JavaScript heap while the request is in
 * flight, so the collector neither scans nor copies it. A Float32Array
 * travels at float32 precision (`float32Json`).
 * @param maxBytes the largest body the API takes (`API_MAX_REQUEST_BYTES`)
 * @throws ResultTooLargeError when the body would exceed `maxBytes`
 */
export function successBody(result: unknown, maxBytes: number): Buffer {
  // Writing out an array far over the limit would cost up to 19 bytes a
  // value first: refused on its length alone when even one character a
  // value cannot fit.
  if (result instanceof Float32Array || Array.isArray(result)) {
    const smallest = smallestSuccessBody(result.length);
    if (smallest > maxBytes)
      throw new ResultTooLargeError(smallest, maxBytes, false);
  }
  const body =
    result instanceof Float32Array
      ? float32Json(result, SUCCESS_PREFIX, SUCCESS_SUFFIX)
      : Buffer.from(
          `${SUCCESS_PREFIX}${JSON.stringify(result) ?? 'null'}${SUCCESS_SUFFIX}`,
        );
  if (body.length > maxBytes)
    throw new ResultTooLargeError(body.length, maxBytes, true);
  return body;
}

/** The failure report; a message longer than MAX_FAILURE_MESSAGE_LENGTH is cut. */
export const failureBody = (code: string, message: string): string =>
  JSON.stringify({
    state: 'failed',
    error: {
      code,
      message:
        message.length > MAX_FAILURE_MESSAGE_LENGTH
          ? `${message.slice(0, MAX_FAILURE_MESSAGE_LENGTH - 1)}…`
          : message,
    },
  });
