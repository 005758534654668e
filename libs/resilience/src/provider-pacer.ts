import { setTimeout as sleepFor } from 'node:timers/promises';
import type { AnyAnswerHeaders } from './answer-headers.js';
import {
  type OpenAiRateHeaders,
  readOpenAiRateHeaders,
} from './openai-rate-headers.js';
import { PacerBucket, type PacerRate } from './provider-pacer-bucket.js';
import { RequestTooLargeError } from './provider-pacer-error.js';
import type { RateLimitGateListener } from './rate-limit-gate.js';
import { retryAfterMs } from './retry-after.js';

export type { PacerRate } from './provider-pacer-bucket.js';

export interface ProviderPacerOptions {
  /** Requests a minute to pace by until the provider's headers tell its limit. */
  rpm?: number;
  /** Tokens a minute to pace by until the provider's headers tell its limit. */
  tpm?: number;
  now?: () => number;
  /** Resolves after `ms`; rejects (or resolves) when `signal` aborts. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /**
   * Share of the provider's rate spent evenly; half the rest is the burst.
   * At 0.9 any window of the provider sees at most 95 % of its limit.
   */
  steadyShare?: number;
  /** Pause after a 429 that names no time; doubled on each further 429 in a row. */
  defaultPauseMs?: number;
  /** The doubled pause stops growing here. */
  maxDefaultPauseMs?: number;
}

const DEFAULTS = {
  steadyShare: 0.9,
  defaultPauseMs: 1_000,
  maxDefaultPauseMs: 60_000,
};

/** What the pacer tells its observers (metrics, logs): the rate limit gate's, so that one adapter serves both. */
export type ProviderPacerListener = RateLimitGateListener;

/** One request the provider is asked to take. */
export interface PacerRequest {
  /** Tokens the provider counts against its limit: the input's, plus `max_tokens` for a chat. */
  tokens: number;
}

/** A request let through. Settle it once: a second settlement is ignored. */
export interface PacerPermit {
  readonly tokens: number;
  /** The provider answered: learn from its headers; a 429 pauses the provider. */
  observe(status: number, headers: AnyAnswerHeaders): void;
  /** The request was never sent: its reservation goes back. */
  release(): void;
  /** The request was sent but got no answer (network error, timeout): the provider may have counted it, so its reservation stays spent. */
  abandon(): void;
}

interface Waiter {
  tokens: number;
  resolve: (permit: PacerPermit) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
}

interface Timer {
  at: number;
  controller: AbortController;
}

/**
 * Paces one AI provider's requests under its two limits, requests and
 * tokens a minute: every request passes `acquire` first and reports its
 * answer through the permit.
 *
 * - Each limit is a bucket (`PacerBucket`) refilled at `steadyShare` of the
 *   provider's rate, holding a small burst: requests go out evenly a little
 *   under the limit, so that 429s stay the exception. The rate comes from
 *   the provider's `x-ratelimit-*` headers, else the configured `rpm` /
 *   `tpm`; a limit nothing is known of is not paced.
 * - What an answer says is left (`x-ratelimit-remaining-*`), less what is
 *   still in flight, caps the bucket: a quota spent elsewhere too slows
 *   this pacer down.
 * - A 429 pauses every request for its `retry-after-ms` / `retry-after`,
 *   else the reset of the limit it says is used up, else a default pause
 *   that doubles on each 429 in a row.
 * - Callers wait in order (FIFO): a large request is never overtaken by
 *   small ones. One timer at most wakes the head of the queue; a caller
 *   whose signal aborts leaves the queue.
 */
export class ProviderPacer {
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal?: AbortSignal) => Promise<void>;
  private readonly defaultPauseMs: number;
  private readonly maxDefaultPauseMs: number;
  private readonly listeners: ProviderPacerListener[] = [];
  private readonly requests: PacerBucket;
  private readonly tokens: PacerBucket;
  private readonly queue: Waiter[] = [];
  private timer: Timer | undefined;
  private pausedUntil = 0;
  /** 429s in a row, for the default pause. */
  private throttledInARow = 0;
  /** When the last 429 that counted in `throttledInARow` was answered. */
  private throttledAt = -Infinity;
  /** Since when the head of the queue has been held (undefined: nobody waits). */
  private heldSince: number | undefined;

  constructor(options: ProviderPacerOptions = {}) {
    this.now = options.now ?? Date.now;
    this.sleep =
      options.sleep ??
      ((ms, signal) => sleepFor(ms, undefined, { signal }).then(() => {}));
    this.defaultPauseMs = options.defaultPauseMs ?? DEFAULTS.defaultPauseMs;
    this.maxDefaultPauseMs =
      options.maxDefaultPauseMs ?? DEFAULTS.maxDefaultPauseMs;
    const share = options.steadyShare ?? DEFAULTS.steadyShare;
    if (!(share > 0 && share <= 1))
      throw new RangeError(`steadyShare must be in (0, 1] (got ${share})`);
    const now = this.now();
    this.requests = new PacerBucket(share, options.rpm, now);
    this.tokens = new PacerBucket(share, options.tpm, now);
  }

  listen(listener: ProviderPacerListener): void {
    this.listeners.push(listener);
  }

  /**
   * The most tokens one request can ever be admitted with: the provider's
   * token limit, when known. Size batches by it; `acquire` rejects a larger
   * request with `RequestTooLargeError`.
   */
  maxRequestTokens(): number | undefined {
    return this.tokens.limit();
  }

  /** The rates the pacer paces by, and where they come from. */
  rates(): { requests: PacerRate; tokens: PacerRate } {
    return { requests: this.requests.rate(), tokens: this.tokens.rate() };
  }

  /** Milliseconds left of the current pause (after a 429). */
  pauseRemainingMs(): number {
    return Math.max(0, this.pausedUntil - this.now());
  }

  /** Callers waiting for their turn. */
  get waiting(): number {
    return this.queue.length;
  }

  /**
   * Waits until the provider may take the request, then reserves it: one
   * request and its tokens. Rejects when `signal` aborts the wait, and with
   * `RequestTooLargeError` when the request could never be admitted.
   */
  acquire(
    { tokens }: PacerRequest,
    signal?: AbortSignal,
  ): Promise<PacerPermit> {
    if (!(Number.isFinite(tokens) && tokens >= 0))
      return Promise.reject(
        new RangeError(`tokens must be a finite number ≥ 0 (got ${tokens})`),
      );
    if (signal?.aborted) return Promise.reject(signal.reason as Error);
    const tooLarge = this.tooLarge(tokens);
    if (tooLarge) return Promise.reject(tooLarge);
    return new Promise<PacerPermit>((resolve, reject) => {
      const waiter: Waiter = {
        tokens,
        resolve,
        reject,
        signal,
        onAbort: () => {
          const index = this.queue.indexOf(waiter);
          if (index < 0) return;
          this.queue.splice(index, 1);
          reject(signal?.reason as Error);
          // The head may have left: the next one may go now.
          this.pump();
        },
      };
      signal?.addEventListener('abort', waiter.onAbort, { once: true });
      this.queue.push(waiter);
      this.pump();
    });
  }

  /** The error for a request larger than the provider's token limit, if it is. */
  private tooLarge(tokens: number): RequestTooLargeError | undefined {
    const max = this.tokens.limit();
    return max !== undefined && tokens > max
      ? new RequestTooLargeError(tokens, max)
      : undefined;
  }

  /**
   * Lets through every caller at the head of the queue that may go now,
   * then sets the one timer for the next. Runs whenever that may change:
   * a new caller, an answer, a release, an abort, the timer.
   */
  private pump(): void {
    const now = this.now();
    this.countHeld(now);
    let waitMs = 0;
    while (this.queue.length > 0) {
      const head = this.queue[0];
      // The token limit may have been learned while it waited.
      const tooLarge = this.tooLarge(head.tokens);
      waitMs = tooLarge ? 0 : this.waitMs(head.tokens, now);
      if (waitMs > 0) break;
      this.queue.shift();
      head.signal?.removeEventListener('abort', head.onAbort);
      if (tooLarge) head.reject(tooLarge);
      else head.resolve(this.admit(head.tokens, now));
    }
    if (this.queue.length === 0) {
      this.requests.idle(now);
      this.tokens.idle(now);
      this.heldSince = undefined;
      this.timer?.controller.abort();
      this.timer = undefined;
      return;
    }
    this.heldSince ??= now;
    this.wakeAt(now + waitMs);
  }

  /** Whole milliseconds until `tokens` may go (0: now). */
  private waitMs(tokens: number, now: number): number {
    return Math.ceil(
      Math.max(
        this.pausedUntil - now,
        this.requests.waitMs(1, now),
        this.tokens.waitMs(tokens, now),
      ),
    );
  }

  /** Keeps one timer, due no later than `at`: an early wake only looks again. */
  private wakeAt(at: number): void {
    if (this.timer && this.timer.at <= at) return;
    this.timer?.controller.abort();
    const timer: Timer = { at, controller: new AbortController() };
    this.timer = timer;
    this.sleep(at - this.now(), timer.controller.signal).then(
      () => {
        if (this.timer !== timer) return; // replaced meanwhile
        this.timer = undefined;
        this.pump();
      },
      () => {}, // aborted: a sooner timer replaced it, or nobody waits
    );
  }

  private admit(tokens: number, now: number): PacerPermit {
    this.requests.take(1, now);
    this.tokens.take(tokens, now);
    const acquiredAt = now;
    let settled = false;
    /** True the first time only. */
    const settle = (): boolean => {
      if (settled) return false;
      settled = true;
      return true;
    };
    return {
      tokens,
      observe: (status, headers) => {
        if (settle()) this.answered(acquiredAt, tokens, status, headers);
      },
      release: () => {
        if (!settle()) return;
        const at = this.now();
        this.requests.giveBack(1, at);
        this.tokens.giveBack(tokens, at);
        this.pump();
      },
      abandon: () => {
        if (!settle()) return;
        const nothing = readOpenAiRateHeaders(undefined);
        const at = this.now();
        this.requests.answered(1, nothing.requests, at);
        this.tokens.answered(tokens, nothing.tokens, at);
      },
    };
  }

  private answered(
    acquiredAt: number,
    tokens: number,
    status: number,
    headers: AnyAnswerHeaders,
  ): void {
    const now = this.now();
    const limits = readOpenAiRateHeaders(headers);
    this.requests.answered(1, limits.requests, now);
    this.tokens.answered(tokens, limits.tokens, now);
    // Any other answer, an error included, says the rate was accepted.
    if (status === 429) this.throttled(acquiredAt, limits, headers, now);
    else this.throttledInARow = 0;
    this.pump();
  }

  /**
   * A 429 pauses every request of the provider. The requests sent before
   * the last 429 came back were sent blind to it: their 429s extend the
   * pause if they ask for longer, but do not count as one more in a row.
   * (A used-up limit, `x-ratelimit-remaining-*: 0`, has already dropped its
   * bucket to empty in `answered`: no burst when the pause ends.)
   */
  private throttled(
    acquiredAt: number,
    limits: OpenAiRateHeaders,
    headers: AnyAnswerHeaders,
    now: number,
  ): void {
    for (const listener of this.listeners) listener.throttled?.();
    if (acquiredAt > this.throttledAt || this.throttledInARow === 0) {
      this.throttledInARow++;
      this.throttledAt = now;
    }
    const pauseMs =
      retryAfterMs(headers, now) ??
      usedUpResetMs(limits) ??
      Math.min(
        this.maxDefaultPauseMs,
        this.defaultPauseMs * 2 ** Math.min(this.throttledInARow - 1, 30),
      );
    const until = now + pauseMs;
    if (until <= this.pausedUntil) return;
    this.pausedUntil = until;
    for (const listener of this.listeners) listener.paused?.(until);
  }

  /** Reports the time the queue has been held since the last report: each stretch of wall time once, however many wait. */
  private countHeld(now: number): void {
    if (this.heldSince === undefined || now <= this.heldSince) return;
    const ms = now - this.heldSince;
    this.heldSince = now;
    for (const listener of this.listeners) listener.held?.(ms);
  }
}

/** The reset of the limit a 429 says is used up (the later of both when both are), if it says. */
function usedUpResetMs({
  requests,
  tokens,
}: OpenAiRateHeaders): number | undefined {
  const resets = [requests, tokens]
    .filter((limit) => limit.remaining === 0 && limit.resetMs !== undefined)
    .map((limit) => limit.resetMs as number);
  return resets.length > 0 ? Math.max(...resets) : undefined;
}
