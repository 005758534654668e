import type { RateWindowReading } from './openai-rate-headers.js';

const MINUTE_MS = 60_000;

/** Where a bucket's limit comes from, best last. */
export type RateSource =
  | { kind: 'unknown' }
  /** `rpm` / `tpm` of the settings: a limit a minute. */
  | { kind: 'configured'; limit: number }
  /**
   * The provider's own headers. `windowMs` is the time the bucket takes to
   * refill from empty; `sampleResetMs` the longest reset it was measured
   * from (0 when not measured for this limit).
   */
  | { kind: 'learned'; limit: number; windowMs: number; sampleResetMs: number };

/** A known rate, as the pacer reports it. */
export type PacerRate =
  | { kind: 'unknown' }
  | { kind: 'configured' | 'learned'; limit: number; perSecond: number };

/**
 * One of a provider's limits (requests, or tokens) as the pacer keeps it: a
 * token bucket that refills at `steadyShare` of the provider's rate and holds
 * a small burst. Its level is what may be sent now without leaving the even
 * pace; it goes below zero when the provider says less is left than the
 * pacer thought (the requests in flight then pay the debt off).
 */
export class PacerBucket {
  private source: RateSource;
  private level = 0;
  private levelAt: number;
  /** Units reserved by requests sent and not answered yet. */
  private inFlight = 0;
  /**
   * The size of the request waiting at the head of the queue: a request
   * larger than the burst lets the bucket save up to its size, so that it
   * goes out alone after a quiet stretch instead of never.
   */
  private wanted = 0;

  constructor(
    private readonly steadyShare: number,
    perMinute: number | undefined,
    now: number,
  ) {
    this.source =
      perMinute === undefined || perMinute <= 0
        ? { kind: 'unknown' }
        : { kind: 'configured', limit: perMinute };
    this.levelAt = now;
    this.level = this.burst();
  }

  /** The most the provider's bucket holds, when known: no single request can ever be larger. */
  limit(): number | undefined {
    return this.source.kind === 'unknown' ? undefined : this.source.limit;
  }

  rate(): PacerRate {
    if (this.source.kind === 'unknown') return this.source;
    return {
      kind: this.source.kind,
      limit: this.source.limit,
      perSecond: (this.source.limit / this.windowMs()) * 1000,
    };
  }

  /** Milliseconds until `cost` may go at the steady pace (0: now); saves up for it meanwhile. */
  waitMs(cost: number, now: number): number {
    if (this.source.kind === 'unknown') return 0;
    this.refill(now);
    this.wanted = cost;
    return this.level >= cost ? 0 : (cost - this.level) / this.steadyPerMs();
  }

  /** No request waits: the bucket fills to its burst only. */
  idle(now: number): void {
    this.refill(now);
    this.wanted = 0;
  }

  /** A request of `cost` goes out. */
  take(cost: number, now: number): void {
    this.refill(now);
    this.level -= cost;
    this.inFlight += cost;
    this.wanted = 0;
  }

  /** A request that was never sent gives its reservation back. */
  giveBack(cost: number, now: number): void {
    this.refill(now);
    this.level += cost;
    this.inFlight = Math.max(0, this.inFlight - cost);
  }

  /**
   * A request of `cost` was answered (or got no answer, `reading` empty).
   * What the answer says is left is authoritative, less what is still in
   * flight: the provider may not have seen those yet, so they are counted
   * as not seen. That errs low when it had seen them, never high.
   */
  answered(cost: number, reading: RateWindowReading, now: number): void {
    this.inFlight = Math.max(0, this.inFlight - cost);
    this.learn(reading, now);
    if (this.source.kind === 'unknown' || reading.remaining === undefined)
      return;
    this.refill(now);
    this.level = Math.min(this.level, reading.remaining - this.inFlight);
  }

  /**
   * Learns the limit, and the refill rate: the reset is the time until the
   * bucket is full again, so the bucket refills `limit − remaining` in
   * `reset`, and the whole of it in `reset × limit / (limit − remaining)`
   * (the window). A full bucket tells no rate: the last one learned stays
   * (a minute before any).
   *
   * Each measure errs: the provider rounds its reset (to the millisecond,
   * or the second) and its remaining down (its bucket refills continuously),
   * which makes a rate look faster, by up to one unit in `limit − remaining`.
   * So a measure counts as far as its reset is long: one more than twice as
   * long as the best so far replaces it, one less than half as long is
   * ignored, and of those about as long the slowest rate wins. A new limit
   * is measured anew.
   */
  private learn(
    { limit, remaining, resetMs }: RateWindowReading,
    now: number,
  ): void {
    if (limit === undefined || limit <= 0) return;
    const previous = this.source.kind === 'learned' ? this.source : undefined;
    let windowMs = previous?.windowMs ?? MINUTE_MS;
    let sampleResetMs = previous?.limit === limit ? previous.sampleResetMs : 0;
    if (
      remaining !== undefined &&
      remaining < limit &&
      resetMs !== undefined &&
      resetMs > 0
    ) {
      const sampleWindowMs = (resetMs * limit) / (limit - remaining);
      if (resetMs > 2 * sampleResetMs) {
        windowMs = sampleWindowMs;
        sampleResetMs = resetMs;
      } else if (2 * resetMs >= sampleResetMs) {
        windowMs = Math.max(windowMs, sampleWindowMs);
        sampleResetMs = Math.max(sampleResetMs, resetMs);
      }
    }
    const wasUnknown = this.source.kind === 'unknown';
    this.refill(now); // what accrued so far, at the old rate
    this.source = { kind: 'learned', limit, windowMs, sampleResetMs };
    if (wasUnknown) this.level = this.burst();
  }

  private windowMs(): number {
    return this.source.kind === 'learned' ? this.source.windowMs : MINUTE_MS;
  }

  private steadyPerMs(): number {
    const limit = this.limit() ?? 0;
    return (limit * this.steadyShare) / this.windowMs();
  }

  /**
   * What the bucket holds beyond the steady pace: half the share left over,
   * so that any window of the provider sees at most `steadyShare` of its
   * limit plus this (95 % at a share of 0.9), and cannot run out.
   */
  private burst(): number {
    const limit = this.limit();
    if (limit === undefined) return 0;
    // The epsilon keeps 6000 × (1 − 0.9) / 2 = 299.99999999999994 at 300.
    const burst = (limit * (1 - this.steadyShare)) / 2;
    return Math.max(1, Math.floor(burst + 1e-9));
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.levelAt);
    this.levelAt = Math.max(now, this.levelAt);
    if (this.source.kind === 'unknown') return;
    const ceiling = Math.max(this.burst(), this.wanted);
    this.level = Math.min(ceiling, this.level + elapsed * this.steadyPerMs());
  }
}
