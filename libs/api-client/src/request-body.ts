import { float32Json } from './float32-json.js';

/** A success result: the bare vector (docs/contract.md §1). */
export type ResultVector = Float32Array | readonly number[];

const SUCCESS_PREFIX = '{"state":"succeeded","result":';

export const CLAIM_BODY = '{"state":"in_progress"}';
export const RELEASE_BODY = '{"state":"pending"}';

/**
 * A Buffer rather than a string: it lives outside the JavaScript heap while
 * the request is in flight, so the collector neither scans nor copies it.
 * A Float32Array travels at float32 precision (`float32Json`).
 */
export const successBody = (result: ResultVector): Buffer =>
  result instanceof Float32Array
    ? float32Json(result, SUCCESS_PREFIX, '}')
    : Buffer.from(`${SUCCESS_PREFIX}${JSON.stringify(result)}}`);

export const failureBody = (code: string, message: string): string =>
  JSON.stringify({ state: 'failed', error: { code, message } });
