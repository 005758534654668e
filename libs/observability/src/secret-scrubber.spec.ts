import { makeSecretScrubber, requestForLog } from './secret-scrubber.js';

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

  it('censors credentials in URLs, keeping scheme and host', () => {
    const line = JSON.stringify({
      msg: 'could not reach https://svc:p%40ss@tasks.example.com/api and redis://:pw1@cache:6379/0',
      err: { url: 'http://user-only-token@10.0.0.7/oauth2/token' },
      mail: 'ops@example.com',
    });
    expect(JSON.parse(scrub(line))).toEqual({
      msg: 'could not reach https://[REDACTED]@tasks.example.com/api and redis://[REDACTED]@cache:6379/0',
      err: { url: 'http://[REDACTED]@10.0.0.7/oauth2/token' },
      mail: 'ops@example.com',
    });
  });

  it('censors secret query and form values, whatever else the line holds', () => {
    const line = JSON.stringify({
      msg: 'GET /v1?token=t1&model=m&access_token=t2 sent grant_type=client_credentials&client_secret=s3',
      url: 'https://x.example.com/cb?API_KEY=k4&apiKey=k5&x=1#frag',
      usage: 'prompt_tokens=12 total_tokens=20 max_token=7',
    });
    expect(JSON.parse(scrub(line))).toEqual({
      msg: 'GET /v1?token=[REDACTED]&model=m&access_token=[REDACTED] sent grant_type=client_credentials&client_secret=[REDACTED]',
      url: 'https://x.example.com/cb?API_KEY=[REDACTED]&apiKey=[REDACTED]&x=1#frag',
      usage: 'prompt_tokens=12 total_tokens=20 max_token=7',
    });
  });

  it('gives the same line back when it is scrubbed twice', () => {
    const line = JSON.stringify({
      msg: 'https://a:b@h/p?token=t Bearer x.y client-secret-value',
    });
    expect(scrub(scrub(line))).toBe(scrub(line));
  });
});

describe('requests in the request log', () => {
  it('keep the path of the URL, never its query string', () => {
    const request = {
      id: 1,
      method: 'GET',
      url: '/nowhere?access_token=peer-value&x=1',
      query: { access_token: 'peer-value', x: '1' },
      params: {},
      headers: { host: 'localhost' },
    };
    const logged = JSON.stringify(requestForLog(request));
    expect(JSON.parse(logged)).toEqual({
      id: 1,
      method: 'GET',
      url: '/nowhere',
      params: {},
      headers: { host: 'localhost' },
    });
    expect(logged).not.toContain('peer-value');
  });
});
