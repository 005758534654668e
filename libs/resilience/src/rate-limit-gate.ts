import { setTimeout as sleepFor } from 'node:timers/promises';
import { type AnswerHeaders, headerValue } from './answer-headers.js';
import { retryAfterMs } from './retry-after.js';

export interface RateLimitGateOptions {
  now?: () => number;
  /** Resolves after `ms`; rejects when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /**
   * Share of the advertised rate the gate spends evenly; the rest is burst
   * room. At 0.9, any window of the server's length sees at most 95 % of
   * its limit from this gate, so the window cannot run out.
   */
  steadyShare?: number;
  /** Pause after a 429 that says nothing of when to come back. */
  defaultPauseMs?: number;
}

const DEFAULTS = {
  steadyShare: 0.9,
  defaultPauseMs: 1_000,
};

/** A header's first value as a number, or undefined. */
function numberHeader(
  headers: AnswerHeaders,
  name: string,
): number | undefined {
  const value = headerValue(headers, name);
  if (value === undefined || value.trim() === '') return undefined;
  const parsed = Number(value);
  return Number.isFinite(parsed) && parsed >= 0 ? parsed : undefined;
}

/** `X-RateLimit-Reset`: seconds from now, or (from some servers) a Unix time. */
function resetDelayMs(seconds: number, now: number): number {
  return seconds > 1e9 ? Math.max(0, seconds * 1000 - now) : seconds * 1000;
}

/** What a gate tells its observers (metrics, logs). */
export interface RateLimitGateListener {
  /** The host answered 429. */
  throttled?(): void;
  /** Every call waits until `untilMs` (epoch milliseconds). */
  paused?(untilMs: number): void;
  /** Another `ms` of wall time during which calls were held back. */
  held?(ms: number): void;
}

interface Pace {
  /** Milliseconds between requests at the steady rate. */
  intervalMs: number;
  /** How far ahead of the steady schedule a burst may run. */
  toleranceMs: number;
}

/**
 * Keeps one host's rate limit: every call to the host passes `acquire()`
 * first and reports its answer with `observe()`.
 *
 * - A 429 pauses every call until its `Retry-After` (or the window's reset).
 * - From `X-RateLimit-Limit` and the longest `X-RateLimit-Reset` seen (the
 *   window's length) the gate learns the host's rate and spaces calls by
 *   the generic cell rate algorithm: a small burst, then an even pace a
 *   little under the limit, so that the window is never exceeded. Servers
 *   such as Nest's throttler block a client for a whole window once it
 *   goes over, so staying under is far cheaper than backing off.
 * - `X-RateLimit-Remaining` that cannot cover the calls in flight (someone
 *   else spends the same quota) holds calls until the window resets.
 *
 * Time spent holding calls is reported to listeners once per stretch of
 * wall time, not once per waiting caller.
 */
export class RateLimitGate {
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly steadyShare: number;
  private readonly defaultPauseMs: number;
  private readonly listeners: RateLimitGateListener[] = [];
  private pausedUntil = 0;
  private heldUntil = 0;
  private windowMs = 0;
  private pace: Pace | undefined;
  /** Theoretical arrival time of the next call at the steady pace. */
  private nextAt = 0;
  private inFlight = 0;

  constructor(options: RateLimitGateOptions = {}) {
    this.now = options.now ?? Date.now;
    this.sleep =
      options.sleep ??
      ((ms, signal) => sleepFor(ms, undefined, { signal }).then(() => {}));
    this.steadyShare = options.steadyShare ?? DEFAULTS.steadyShare;
    this.defaultPauseMs = options.defaultPauseMs ?? DEFAULTS.defaultPauseMs;
  }

  listen(listener: RateLimitGateListener): void {
    this.listeners.push(listener);
  }

  /** Milliseconds left of the current pause (a 429 or a used-up window). */
  pauseRemainingMs(): number {
    return Math.max(0, this.pausedUntil - this.now());
  }

  /**
   * Waits until a call may go out, then counts it in flight; pair each
   * `acquire` with one `observe` or `abandon`. Rejects only when `signal`
   * aborts the wait.
   */
  async acquire(signal?: AbortSignal): Promise<void> {
    let startAt = this.reserve();
    // A pause can begin while a caller waits for its slot: look again after
    // each wait. Every pause is at least the default pause long, so this
    // loop ends.
    for (let now = this.now(); startAt > now; now = this.now()) {
      this.hold(startAt, now);
      await this.sleep(startAt - now, signal);
      startAt = Math.max(this.pausedUntil, this.now());
    }
    this.inFlight++;
  }

  /** The call got no answer (network error, timeout): it leaves the count in flight. */
  abandon(): void {
    this.inFlight = Math.max(0, this.inFlight - 1);
  }

  /** Reads the answer of a call that `acquire` let through. */
  observe(status: number, headers: AnswerHeaders): void {
    this.abandon();
    const now = this.now();
    const resetSeconds = numberHeader(headers, 'x-ratelimit-reset');
    const resetMs =
      resetSeconds === undefined ? undefined : resetDelayMs(resetSeconds, now);
    if (status === 429) {
      for (const listener of this.listeners) listener.throttled?.();
      const asked = retryAfterMs(headers, now);
      this.pause(now + (asked ?? resetMs ?? this.defaultPauseMs), now);
      return;
    }
    const limit = numberHeader(headers, 'x-ratelimit-limit');
    const remaining = numberHeader(headers, 'x-ratelimit-remaining');
    if (
      resetMs !== undefined &&
      resetMs > this.windowMs &&
      resetMs < 86_400_000
    )
      this.windowMs = resetMs;
    if (limit !== undefined && limit > 0 && this.windowMs > 0)
      this.learnPace(limit);
    if (
      remaining !== undefined &&
      resetMs !== undefined &&
      remaining <= this.inFlight
    )
      this.pause(now + resetMs, now);
  }

  private learnPace(limit: number): void {
    const steady = Math.max(1, limit * this.steadyShare);
    const burst = Math.max(1, Math.floor((limit * (1 - this.steadyShare)) / 2));
    const intervalMs = this.windowMs / steady;
    this.pace = { intervalMs, toleranceMs: (burst - 1) * intervalMs };
  }

  /** The earliest start of the next call, its slot booked. */
  private reserve(): number {
    const now = this.now();
    const earliest = Math.max(now, this.pausedUntil);
    if (!this.pace) return earliest;
    const due = Math.max(this.nextAt, earliest);
    const startAt = Math.max(earliest, due - this.pace.toleranceMs);
    this.nextAt = due + this.pace.intervalMs;
    return startAt;
  }

  private pause(until: number, now: number): void {
    if (until <= this.pausedUntil) return;
    this.pausedUntil = until;
    for (const listener of this.listeners) listener.paused?.(until);
    this.hold(until, now);
  }

  private hold(until: number, now: number): void {
    if (until <= this.heldUntil) return;
    const added = until - Math.max(now, this.heldUntil);
    this.heldUntil = until;
    if (added > 0)
      for (const listener of this.listeners) listener.held?.(added);
  }
}
