import { ThrottleWindows } from './throttle.js';

describe('ThrottleWindows (@nestjs/throttler v6 in-memory counting)', () => {
  const LIMIT = 3;
  const TTL = 10_000;
  let windows: ThrottleWindows;
  const hit = (atMs: number, client = 'a') =>
    windows.hit(client, LIMIT, TTL, atMs);

  beforeEach(() => {
    windows = new ThrottleWindows();
  });

  it('counts hits in a window that starts at the first one', () => {
    expect(hit(1_000)).toEqual({
      allowed: true,
      limit: 3,
      remaining: 2,
      resetSeconds: 10,
    });
    expect(hit(1_500)).toEqual({
      allowed: true,
      limit: 3,
      remaining: 1,
      resetSeconds: 10,
    });
    expect(hit(4_200)).toEqual({
      allowed: true,
      limit: 3,
      remaining: 0,
      resetSeconds: 7,
    });
  });

  it('blocks the client for the ttl from the hit that goes over, without counting refused requests', () => {
    hit(0);
    hit(1_000);
    hit(2_000);
    expect(hit(9_000)).toEqual({ allowed: false, retryAfterSeconds: 10 });
    // The window would have ended at 10,000: the block outlasts it.
    expect(hit(12_500)).toEqual({ allowed: false, retryAfterSeconds: 7 });
    expect(hit(18_999)).toEqual({ allowed: false, retryAfterSeconds: 1 });
    // A new window starts at the first hit after the block.
    expect(hit(19_000)).toEqual({
      allowed: true,
      limit: 3,
      remaining: 2,
      resetSeconds: 10,
    });
  });

  it('starts a new window once the old one has ended', () => {
    hit(0);
    hit(1);
    hit(2);
    expect(hit(10_000)).toMatchObject({ allowed: true, remaining: 2 });
  });

  it('keeps clients apart, and forgets everything on clear', () => {
    for (const at of [0, 1, 2, 3]) hit(at, 'a');
    expect(hit(4, 'a').allowed).toBe(false);
    expect(hit(4, 'b')).toMatchObject({ allowed: true, remaining: 2 });
    windows.clear();
    expect(hit(5, 'a')).toMatchObject({ allowed: true, remaining: 2 });
  });

  it('rounds short windows up to whole seconds', () => {
    const short = new ThrottleWindows();
    expect(short.hit('a', 1, 200, 0)).toMatchObject({ resetSeconds: 1 });
    expect(short.hit('a', 1, 200, 50)).toEqual({
      allowed: false,
      retryAfterSeconds: 1,
    });
  });
});
