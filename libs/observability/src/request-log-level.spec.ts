import { requestLogLevel } from './request-log-level.js';

describe('requestLogLevel', () => {
  it.each([
    [404, 'debug'],
    [405, 'debug'],
    [400, 'debug'],
    [200, 'info'],
    [503, 'error'],
  ])('logs a %i answer at %s', (statusCode, level) => {
    expect(requestLogLevel({}, { statusCode })).toBe(level);
  });

  it('logs a request that failed at error', () => {
    expect(requestLogLevel({}, { statusCode: 200 }, new Error('reset'))).toBe(
      'error',
    );
  });
});
