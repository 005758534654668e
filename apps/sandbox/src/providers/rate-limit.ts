/**
 * OpenAI's rate limits, as one provider of the sandbox enforces them: two
 * token buckets, one of requests and one of tokens, each holding at most its
 * limit and refilled continuously at the limit per window. A request takes 1
 * request and its tokens from them, or nothing when either lacks room.
 * Everything here takes the time as an argument (milliseconds of any clock).
 */

/** Below this, a difference of floating-point levels is rounding, not room. */
const EPSILON = 1e-6;

export class TokenBucket {
  private level: number;
  private atMs: number;
  /** What one millisecond refills. */
  private readonly perMs: number;

  /** Full at `nowMs`. */
  constructor(
    readonly limit: number,
    readonly windowMs: number,
    nowMs: number,
  ) {
    this.level = limit;
    this.atMs = nowMs;
    this.perMs = limit / windowMs;
  }

  /** Adds what the time since the last look refilled; a clock going back refills nothing. */
  refill(nowMs: number): void {
    if (nowMs <= this.atMs) return;
    this.level = Math.min(
      this.limit,
      this.level + (nowMs - this.atMs) * this.perMs,
    );
    this.atMs = nowMs;
  }

  /** Whole units in the bucket. */
  get remaining(): number {
    return Math.max(0, Math.floor(this.level + EPSILON));
  }

  /** What is in use: the limit minus what remains. */
  get used(): number {
    return this.limit - this.remaining;
  }

  /** Milliseconds, rounded up, until `amount` fits; 0 when it fits now. */
  msUntil(amount: number): number {
    const missing = amount - this.level;
    return missing <= EPSILON ? 0 : Math.ceil(missing / this.perMs - EPSILON);
  }

  /** Milliseconds, rounded up, until the bucket is full again: OpenAI's `x-ratelimit-reset-*`. */
  get msUntilFull(): number {
    return this.msUntil(this.limit);
  }

  take(amount: number): void {
    this.level -= amount;
  }
}

/**
 * A duration as OpenAI writes it in `x-ratelimit-reset-*` and in its 429
 * messages (Go's format, to the millisecond, rounded up): `0s`, `20ms`, `1s`,
 * `1.2s`, `6m0s`, `1m30.5s`, `1h0m0s`.
 */
export function formatDuration(ms: number): string {
  const total = Math.max(0, Math.ceil(ms - EPSILON));
  if (total === 0) return '0s';
  if (total < 1000) return `${total}ms`;
  const hours = Math.floor(total / 3_600_000);
  const minutes = Math.floor((total % 3_600_000) / 60_000);
  const rest = total % 60_000;
  const fraction = String(rest % 1000)
    .padStart(3, '0')
    .replace(/0+$/, '');
  const seconds = `${Math.floor(rest / 1000)}${fraction ? `.${fraction}` : ''}s`;
  if (hours) return `${hours}h${minutes}m${seconds}`;
  if (minutes) return `${minutes}m${seconds}`;
  return seconds;
}

/** A provider's limits; an unset (or 0) limit is not enforced. */
export interface RateLimits {
  rpm?: number;
  tpm?: number;
  windowMs: number;
}

export type RateLimitKind = 'requests' | 'tokens';

/** Why a request was refused, for OpenAI's message. */
export interface RateRefusal {
  kind: RateLimitKind;
  limit: number;
  /** The limit minus what remains, before this request. */
  used: number;
  requested: number;
  /** Until the request fits, in milliseconds; absent when it never can (larger than the bucket). */
  retryAfterMs?: number;
}

export type RateVerdict =
  | { allowed: true; headers: Record<string, string> }
  | { allowed: false; refusal: RateRefusal; headers: Record<string, string> };

/** The generous limits stated for a limit that is off: never exhausted. */
export const UNLIMITED_REQUESTS = 10_000;
export const UNLIMITED_TOKENS = 10_000_000;

/** OpenAI's request-limit headers for a limit that is off. */
export function unlimitedRequestHeaders(): Record<string, string> {
  return {
    'x-ratelimit-limit-requests': String(UNLIMITED_REQUESTS),
    'x-ratelimit-remaining-requests': String(UNLIMITED_REQUESTS - 1),
    'x-ratelimit-reset-requests': '6ms',
  };
}

/** OpenAI's token-limit headers for a limit that is off, after a request of `tokens`. */
export function unlimitedTokenHeaders(tokens: number): Record<string, string> {
  return {
    'x-ratelimit-limit-tokens': String(UNLIMITED_TOKENS),
    'x-ratelimit-remaining-tokens': String(
      UNLIMITED_TOKENS - Math.min(tokens, UNLIMITED_TOKENS),
    ),
    'x-ratelimit-reset-tokens': '0s',
  };
}

function bucketHeaders(
  bucket: TokenBucket,
  kind: RateLimitKind,
): Record<string, string> {
  return {
    [`x-ratelimit-limit-${kind}`]: String(bucket.limit),
    [`x-ratelimit-remaining-${kind}`]: String(bucket.remaining),
    [`x-ratelimit-reset-${kind}`]: formatDuration(bucket.msUntilFull),
  };
}

/** A bucket as the admin view shows it. */
export interface BucketView {
  limit: number;
  remaining: number;
  /** Until the bucket is full again. */
  resetMs: number;
}

/** The two buckets of one provider, full when created. */
export class ProviderRateLimiter {
  private readonly requests?: TokenBucket;
  private readonly tokens?: TokenBucket;

  constructor(limits: RateLimits, nowMs: number) {
    if (limits.rpm)
      this.requests = new TokenBucket(limits.rpm, limits.windowMs, nowMs);
    if (limits.tpm)
      this.tokens = new TokenBucket(limits.tpm, limits.windowMs, nowMs);
  }

  /**
   * Takes 1 request and `tokens` tokens, or nothing: a request larger than
   * the token bucket is refused for good (no retry time); otherwise the
   * bucket that needs longer to make room names the refusal.
   */
  admit(tokens: number, nowMs: number): RateVerdict {
    this.refill(nowMs);
    const refusal = this.refusal(tokens);
    if (refusal) return { allowed: false, refusal, headers: this.headers(0) };
    this.requests?.take(1);
    this.tokens?.take(tokens);
    return { allowed: true, headers: this.headers(tokens) };
  }

  /**
   * OpenAI's six `x-ratelimit-*` headers: the limits per window, what
   * remains and the time until each bucket is full. A limit that is off is
   * stated as the generous one of an unlimited provider.
   */
  headers(tokens: number): Record<string, string> {
    return {
      ...(this.requests
        ? bucketHeaders(this.requests, 'requests')
        : unlimitedRequestHeaders()),
      ...(this.tokens
        ? bucketHeaders(this.tokens, 'tokens')
        : unlimitedTokenHeaders(tokens)),
    };
  }

  view(nowMs: number): {
    requests: BucketView | null;
    tokens: BucketView | null;
  } {
    this.refill(nowMs);
    const of = (bucket?: TokenBucket): BucketView | null =>
      bucket
        ? {
            limit: bucket.limit,
            remaining: bucket.remaining,
            resetMs: bucket.msUntilFull,
          }
        : null;
    return { requests: of(this.requests), tokens: of(this.tokens) };
  }

  private refill(nowMs: number): void {
    this.requests?.refill(nowMs);
    this.tokens?.refill(nowMs);
  }

  private refusal(tokens: number): RateRefusal | undefined {
    if (this.tokens && tokens > this.tokens.limit)
      return {
        kind: 'tokens',
        limit: this.tokens.limit,
        used: this.tokens.used,
        requested: tokens,
      };
    const waits = [
      { kind: 'requests', bucket: this.requests, requested: 1 },
      { kind: 'tokens', bucket: this.tokens, requested: tokens },
    ] as const;
    let refusal: RateRefusal | undefined;
    for (const { kind, bucket, requested } of waits) {
      if (!bucket) continue;
      const retryAfterMs = bucket.msUntil(requested);
      if (retryAfterMs > (refusal?.retryAfterMs ?? 0))
        refusal = {
          kind,
          limit: bucket.limit,
          used: bucket.used,
          requested,
          retryAfterMs,
        };
    }
    return refusal;
  }
}

const ORGANIZATION = 'org-sandbox';
const LEARN_MORE =
  'Visit https://platform.openai.com/account/rate-limits to learn more.';

/** OpenAI's 429 message (its text says "per min" whatever the window). */
export function rateLimitMessage(model: string, refusal: RateRefusal): string {
  const where = `for ${model} in organization ${ORGANIZATION} on ${refusal.kind} per min (${refusal.kind === 'requests' ? 'RPM' : 'TPM'})`;
  return refusal.retryAfterMs === undefined
    ? `Request too large ${where}: Limit ${refusal.limit}, Requested ${refusal.requested}. The input or output tokens must be reduced in order to run successfully. ${LEARN_MORE}`
    : `Rate limit reached ${where}: Limit ${refusal.limit}, Used ${refusal.used}, Requested ${refusal.requested}. Please try again in ${formatDuration(refusal.retryAfterMs)}. ${LEARN_MORE}`;
}

/** `retry-after` (whole seconds, rounded up) and `retry-after-ms`, when retrying can help. */
export function retryAfterHeaders(
  refusal: RateRefusal,
): Record<string, string> {
  if (refusal.retryAfterMs === undefined) return {};
  return {
    'retry-after': String(Math.ceil(refusal.retryAfterMs / 1000)),
    'retry-after-ms': String(refusal.retryAfterMs),
  };
}
