import { RateLimitGate } from './rate-limit-gate.js';

/** A gate on vitest's fake clock: its waits end only when the test advances time. */
function fakeGate() {
  const gate = new RateLimitGate({
    now: () => Date.now(),
    sleep: (ms, signal) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(resolve, ms);
        signal?.addEventListener('abort', () => {
          clearTimeout(timer);
          reject(signal.reason as Error);
        });
      }),
  });
  const events = { throttled: 0, pausedUntil: [] as number[], heldMs: 0 };
  gate.listen({
    throttled: () => events.throttled++,
    paused: (until) => events.pausedUntil.push(until),
    held: (ms) => (events.heldMs += ms),
  });
  return { gate, events };
}

const limits = (limit: number, remaining: number, resetSeconds: number) => ({
  'x-ratelimit-limit': String(limit),
  'x-ratelimit-remaining': String(remaining),
  'x-ratelimit-reset': String(resetSeconds),
});

/** Starts `count` acquires at once; answers each start time once the fake clock lets it through. */
async function startTimes(
  gate: RateLimitGate,
  count: number,
  stepMs = 5,
  maxMs = 60_000,
): Promise<number[]> {
  const started: number[] = [];
  const t0 = Date.now();
  for (let i = 0; i < count; i++)
    void gate.acquire().then(() => {
      started.push(Date.now() - t0);
      gate.observe(200, {});
    });
  for (
    let waited = 0;
    started.length < count && waited < maxMs;
    waited += stepMs
  )
    await vi.advanceTimersByTimeAsync(stepMs);
  return started;
}

describe('RateLimitGate', () => {
  beforeEach(() => vi.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => vi.useRealTimers());

  it('lets calls through at once while the host has told it nothing', async () => {
    const { gate, events } = fakeGate();
    expect(await startTimes(gate, 20)).toEqual(Array(20).fill(0));
    expect(events.heldMs).toBe(0);
  });

  it('pauses every call for the Retry-After of a 429, and counts the time once', async () => {
    const { gate, events } = fakeGate();
    await gate.acquire();
    gate.observe(429, { 'retry-after': '2' });
    expect(events.throttled).toBe(1);
    expect(gate.pauseRemainingMs()).toBe(2000);
    const started = await startTimes(gate, 3);
    expect(started.every((at) => at >= 2000 && at < 2010)).toBe(true);
    // Three callers waited through the same two seconds: counted once.
    expect(events.heldMs).toBe(2000);
    expect(gate.pauseRemainingMs()).toBe(0);
  });

  it('reads retry-after-ms before Retry-After, as every client of this library does', async () => {
    const { gate } = fakeGate();
    await gate.acquire();
    gate.observe(429, { 'retry-after-ms': '1500', 'retry-after': '2' });
    expect(gate.pauseRemainingMs()).toBe(1500);
  });

  it('falls back to X-RateLimit-Reset, then to one second, when a 429 names no time', async () => {
    const { gate } = fakeGate();
    await gate.acquire();
    gate.observe(429, { 'x-ratelimit-reset': '3' });
    expect(gate.pauseRemainingMs()).toBe(3000);
    await vi.advanceTimersByTimeAsync(3000);
    await gate.acquire();
    gate.observe(429, {});
    expect(gate.pauseRemainingMs()).toBe(1000);
  });

  it('learns the rate from the headers and keeps every window under its limit', async () => {
    const { gate } = fakeGate();
    await gate.acquire();
    gate.observe(200, limits(100, 99, 2)); // 100 calls per 2 s window
    const started = await startTimes(gate, 300, 1);
    expect(started).toHaveLength(300);
    // Whatever the server's window alignment, no 2 s span sees the limit.
    let busiest = 0;
    for (let i = 0; i < started.length; i++) {
      const inWindow = started.filter(
        (at) => at >= started[i] && at < started[i] + 2000,
      ).length;
      busiest = Math.max(busiest, inWindow);
    }
    expect(busiest).toBeLessThanOrEqual(95);
    // ...and still uses most of it: 300 calls at 90 per window take about 6.6 s.
    expect(started.at(-1)).toBeGreaterThan(6000);
    expect(started.at(-1)).toBeLessThan(7000);
  });

  it('holds calls until the reset when the remaining quota cannot cover those in flight', async () => {
    const { gate, events } = fakeGate();
    await gate.acquire();
    await gate.acquire();
    gate.observe(200, limits(1000, 1, 4)); // one left, one other call in flight
    expect(gate.pauseRemainingMs()).toBe(4000);
    expect(events.pausedUntil).toEqual([Date.now() + 4000]);
  });

  it('stops waiting when the caller aborts', async () => {
    const { gate } = fakeGate();
    await gate.acquire();
    gate.observe(429, { 'retry-after': '60' });
    const abort = new AbortController();
    const waiting = gate.acquire(abort.signal);
    abort.abort(new Error('shutting down'));
    await expect(waiting).rejects.toThrow('shutting down');
  });
});
