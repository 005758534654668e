import { Inject, Injectable } from '@nestjs/common';
import type { NextFunction, Request, Response } from 'express';
import { SandboxSettings } from '../settings.js';
import { SandboxStats } from '../stats.js';
import { isTasksApiPath, requestPath } from './routes.js';

/** What the throttle decided for one request. */
export type ThrottleVerdict =
  | {
      allowed: true;
      limit: number;
      /** `limit` minus the hits of the window, this one included; never negative. */
      remaining: number;
      /** Whole seconds until the window ends, rounded up. */
      resetSeconds: number;
    }
  | {
      allowed: false;
      /** Whole seconds until the block ends, rounded up. */
      retryAfterSeconds: number;
    };

interface ClientWindow {
  endsAtMs: number;
  hits: number;
  /** 0 while the client is not blocked. */
  blockedUntilMs: number;
}

/** Windows kept before expired ones are swept (one per client address). */
const SWEEP_ABOVE = 1000;

const seconds = (ms: number) => Math.max(0, Math.ceil(ms / 1000));

/**
 * The counting of @nestjs/throttler v6's in-memory storage, per client: a
 * window of `ttlMs` starts at the first hit; the hit that goes over `limit`
 * blocks the client for `ttlMs` (throttler's blockDuration defaults to its
 * ttl); requests while blocked are refused and not counted; the first hit
 * after the block starts a new window.
 */
export class ThrottleWindows {
  private readonly windows = new Map<string, ClientWindow>();

  hit(
    client: string,
    limit: number,
    ttlMs: number,
    nowMs: number,
  ): ThrottleVerdict {
    let window = this.windows.get(client);
    if (window && window.blockedUntilMs > nowMs)
      return {
        allowed: false,
        retryAfterSeconds: seconds(window.blockedUntilMs - nowMs),
      };
    if (!window || window.blockedUntilMs > 0 || window.endsAtMs <= nowMs) {
      if (!window && this.windows.size >= SWEEP_ABOVE) this.sweep(nowMs);
      window = { endsAtMs: nowMs + ttlMs, hits: 0, blockedUntilMs: 0 };
      this.windows.set(client, window);
    }
    window.hits += 1;
    if (window.hits > limit) {
      window.blockedUntilMs = nowMs + ttlMs;
      return { allowed: false, retryAfterSeconds: seconds(ttlMs) };
    }
    return {
      allowed: true,
      limit,
      remaining: Math.max(0, limit - window.hits),
      resetSeconds: seconds(window.endsAtMs - nowMs),
    };
  }

  clear(): void {
    this.windows.clear();
  }

  private sweep(nowMs: number): void {
    for (const [client, window] of this.windows)
      if (window.endsAtMs <= nowMs && window.blockedUntilMs <= nowMs)
        this.windows.delete(client);
  }
}

export const THROTTLED_BODY = {
  statusCode: 429,
  message: 'ThrottlerException: Too Many Requests',
};

/**
 * The real server's global ThrottlerGuard, in front of every tasks-API route
 * (before the bearer-token guard and the not-found redirect), when
 * `throttleLimit` is above 0. Clients are told apart by socket address.
 */
@Injectable()
export class Throttle {
  readonly windows = new ThrottleWindows();
  /** The clock (read through `Date`, so that faking `Date` moves it); tests may replace it. */
  now: () => number = () => Date.now();

  constructor(
    @Inject(SandboxSettings) private readonly settings: SandboxSettings,
    @Inject(SandboxStats) private readonly stats: SandboxStats,
  ) {}

  readonly handle = (req: Request, res: Response, next: NextFunction): void => {
    const limit = this.settings.throttleLimit;
    if (limit <= 0 || !isTasksApiPath(requestPath(req))) return next();
    const verdict = this.windows.hit(
      req.socket.remoteAddress ?? '',
      limit,
      this.settings.throttleTtlMs,
      this.now(),
    );
    if (!verdict.allowed) {
      this.stats.throttled();
      res.setHeader('Retry-After', String(verdict.retryAfterSeconds));
      res.status(429).json(THROTTLED_BODY);
      return;
    }
    res.setHeader('X-RateLimit-Limit', String(verdict.limit));
    res.setHeader('X-RateLimit-Remaining', String(verdict.remaining));
    res.setHeader('X-RateLimit-Reset', String(verdict.resetSeconds));
    next();
  };

  reset(): void {
    this.windows.clear();
  }
}
