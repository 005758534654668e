import {
  ResultTooLargeError,
  failureBody,
  successBody as successBodyWithin,
} from './request-body.js';
import { TasksApiError } from './tasks-api-client.js';

/** API_MAX_REQUEST_BYTES's default: the reference server's 100 kB body limit. */
const LIMIT = 102_400;

const successBody = (result: unknown, maxBytes = LIMIT) =>
  successBodyWithin(result, maxBytes);

/** A unit vector of `size` float32 values, as an embedding model answers. */
const unitVector = (size: number) =>
  Float32Array.from({ length: size }, (_, i) =>
    Math.fround(((i % 2 ? -1 : 1) * (0.5 + (i % 7) / 100)) / Math.sqrt(size)),
  );

const refusal = (build: () => unknown): ResultTooLargeError => {
  try {
    build();
  } catch (error) {
    expect(error).toBeInstanceOf(ResultTooLargeError);
    return error as ResultTooLargeError;
  }
  return expect.fail('expected a ResultTooLargeError');
};

describe('PATCH bodies', () => {
  it('writes a Float32Array result at float32 precision', () => {
    expect(successBody(new Float32Array([0.1, -0.5])).toString()).toBe(
      '{"state":"succeeded","result":[0.100000001,-0.5]}',
    );
  });

  it('writes a number array as JSON.stringify does', () => {
    expect(successBody([0.1, 2, -3.5]).toString()).toBe(
      '{"state":"succeeded","result":[0.1,2,-3.5]}',
    );
  });

  it('writes the object or array result of another task type as JSON', () => {
    expect(successBody({ severity: 'high_1' }).toString()).toBe(
      '{"state":"succeeded","result":{"severity":"high_1"}}',
    );
    expect(
      successBody([
        { name: 'Saúde', wikidataId: null, language: 'pt' },
      ]).toString(),
    ).toBe(
      '{"state":"succeeded","result":[{"name":"Saúde","wikidataId":null,"language":"pt"}]}',
    );
  });

  it('refuses an object result whose body would exceed the limit', () => {
    const result = { text: 'x'.repeat(200) };
    const error = refusal(() => successBody(result, 100));
    expect(error.bytes).toBe(successBody(result, Infinity).length);
  });

  it('takes the largest real embedding (3,072 float32 values) under the default 100 kB limit', () => {
    expect(successBody(unitVector(3_072)).length).toBeLessThan(LIMIT / 2);
  });

  it('refuses a result whose body would exceed the limit, saying the size and the limit', () => {
    const vector = unitVector(8_000);
    const error = refusal(() => successBody(vector));
    expect(error).toBeInstanceOf(TasksApiError);
    expect(error.bytes).toBe(
      successBody(vector, Number.POSITIVE_INFINITY).length,
    );
    expect(error.limit).toBe(102_400);
    expect(error.message).toBe(
      `the result is ${error.bytes} bytes as JSON, more than the 102400 bytes the tasks API accepts in one request (API_MAX_REQUEST_BYTES)`,
    );
  });

  it('refuses at exactly one byte over the limit, and takes a body of exactly the limit', () => {
    const body = successBody([1, 2, 3]);
    expect(successBody([1, 2, 3], body.length).equals(body)).toBe(true);
    expect(refusal(() => successBody([1, 2, 3], body.length - 1)).bytes).toBe(
      body.length,
    );
  });

  it('refuses an enormous result without writing it out', () => {
    const started = performance.now();
    const error = refusal(() => successBody(new Float32Array(10_000_000)));
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(error.message).toMatch(
      /^the result is at least 20000032 bytes as JSON, more than the 102400 bytes/,
    );
    expect(
      refusal(() => successBody(Array.from({ length: 5_000_000 }, () => 0)))
        .bytes,
    ).toBe(10_000_032);
  });

  it("cuts a failure message to 1,000 characters: a peer's long error text cannot bloat the report", () => {
    const long = 'e'.repeat(50_000);
    const { error } = JSON.parse(
      failureBody('provider_rejected_input', long),
    ) as {
      error: { message: string };
    };
    expect(error.message).toBe(`${'e'.repeat(999)}…`);
  });

  it('escapes the message of a failure', () => {
    expect(JSON.parse(failureBody('invalid_task', 'a "quoted"\nline'))).toEqual(
      {
        state: 'failed',
        error: { code: 'invalid_task', message: 'a "quoted"\nline' },
      },
    );
  });
});
