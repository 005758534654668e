import { failureBody, successBody } from './request-body.js';

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

  it('escapes the message of a failure', () => {
    expect(JSON.parse(failureBody('invalid_task', 'a "quoted"\nline'))).toEqual(
      {
        state: 'failed',
        error: { code: 'invalid_task', message: 'a "quoted"\nline' },
      },
    );
  });
});
