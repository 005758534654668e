import { makeSecretScrubber } from './secret-scrubber.js';

describe('the secret scrubber', () => {
  const scrub = makeSecretScrubber(['client-secret-value', 'sk-key-value']);

  it('censors fields named for secrets at any depth, escaped quotes included', () => {
    const line = JSON.stringify({
      msg: 'x',
      err: {
        config: {
          headers: { Authorization: 'Basic abc', 'x-api-key': 'k1' },
          data: { client_secret: 'pa"ss', password: 'p2', token: 't3' },
        },
      },
      apiKey: 'k4',
      tokenUrl: 'http://issuer/oauth2/token',
    });
    expect(JSON.parse(scrub(line))).toEqual({
      msg: 'x',
      err: {
        config: {
          headers: { Authorization: '[REDACTED]', 'x-api-key': '[REDACTED]' },
          data: {
            client_secret: '[REDACTED]',
            password: '[REDACTED]',
            token: '[REDACTED]',
          },
        },
      },
      apiKey: '[REDACTED]',
      tokenUrl: 'http://issuer/oauth2/token',
    });
  });

  it('censors bearer tokens and the known secrets wherever they appear', () => {
    const line = JSON.stringify({
      msg: 'sent Bearer eyJhbGciOi.abc-def_1 with client-secret-value and sk-key-value',
    });
    expect(scrub(line)).toBe(
      JSON.stringify({
        msg: 'sent Bearer [REDACTED] with [REDACTED] and [REDACTED]',
      }),
    );
  });
});
