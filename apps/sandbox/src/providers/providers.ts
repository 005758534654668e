import {
  BadRequestException,
  Inject,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import type { Response } from 'express';
import { checkApiKey } from '../embeddings/api-key.js';
import { OpenAiError } from '../embeddings/openai-error.js';
import { SandboxSettings } from '../settings.js';
import { SandboxStats } from '../stats.js';
import {
  applyProviderChanges,
  DEFAULT_PROVIDER,
  DEFAULT_RATE_WINDOW_MS,
  isProviderName,
  NO_API_KEY,
  providerProblems,
  type ProviderChanges,
} from './provider-settings.js';
import {
  ProviderRateLimiter,
  rateLimitMessage,
  retryAfterHeaders,
  type BucketView,
} from './rate-limit.js';

/** One provider as the admin views show it; the key itself is never shown. */
export interface ProviderView {
  /** `default` (the default provider's rule), `none` (no key needed) or `fixed` (one key). */
  apiKey: 'default' | 'none' | 'fixed';
  /** `null` while the limit is off. */
  rpm: number | null;
  tpm: number | null;
  windowMs: number;
  /** The buckets now; `null` while their limit is off. */
  buckets: { requests: BucketView | null; tokens: BucketView | null };
}

/** The model a request body asks for, as the stats name it. */
export function modelOf(body: unknown): string {
  const model = (body as { model?: unknown } | null | undefined)?.model;
  return typeof model === 'string' ? model : '(none)';
}

/** One request to a provider's `/v1` endpoints. */
export interface ProviderCall {
  readonly name: string;
  /** OpenAI's 401s, by the provider's key rule. */
  authenticate(authorization: string | undefined): void;
  /**
   * Takes 1 request and `tokens` from the provider's buckets, or answers
   * OpenAI's 429 (thrown, with its headers set). Answers the `x-ratelimit-*`
   * headers of the 200, or `undefined` when the provider has no limits.
   */
  admit(model: string, tokens: number): Record<string, string> | undefined;
  /** Counts the `usage.total_tokens` of the answer of 200. */
  used(tokens: number): void;
}

/**
 * The providers the sandbox stands in for: `openai` at `/v1`, and any other
 * name at `/providers/<name>/v1`, each with its own key rule, rate limits
 * (two token buckets, see rate-limit.ts) and stats. The buckets read
 * `performance.now()` unless a test gives them another clock (`useClock`).
 */
@Injectable()
export class Providers {
  private now: () => number = () => performance.now();
  private readonly limiters = new Map<
    string,
    ProviderRateLimiter | undefined
  >();

  constructor(
    @Inject(SandboxSettings) private readonly settings: SandboxSettings,
    @Inject(SandboxStats) private readonly stats: SandboxStats,
  ) {}

  /**
   * The provider a request reaches (`name` undefined: `/v1`, the default
   * one); an invalid name is Nest's 404 for an unknown route. The request is
   * counted for the provider and `model` once answered.
   */
  open(name: string | undefined, model: string, res: Response): ProviderCall {
    const provider = name ?? DEFAULT_PROVIDER;
    if (!isProviderName(provider))
      throw new NotFoundException(
        `Cannot ${res.req.method} ${res.req.originalUrl}`,
      );
    res.once('close', () =>
      this.stats.providerAnswered(provider, model, res.statusCode),
    );
    return {
      name: provider,
      authenticate: (authorization) => {
        const rule =
          this.settings.providers[provider]?.apiKey ??
          this.settings.embeddingsApiKey;
        if (rule !== NO_API_KEY) checkApiKey(authorization, rule);
      },
      admit: (asked, tokens) => this.admit(provider, asked, tokens, res),
      used: (tokens) => this.stats.providerUsed(provider, tokens),
    };
  }

  /** Changes a provider's settings; new limits start with full buckets. */
  configure(name: string, changes: ProviderChanges): ProviderView {
    const problems = providerProblems(name, changes);
    if (problems.length) throw new BadRequestException(problems);
    this.settings.providers[name] = applyProviderChanges(
      this.settings.providers[name] ?? {},
      changes,
    );
    this.limiters.delete(name);
    return this.view(name);
  }

  view(name: string): ProviderView {
    const settings = this.settings.providers[name] ?? {};
    const limiter = this.limiter(name);
    return {
      apiKey:
        settings.apiKey === undefined
          ? 'default'
          : settings.apiKey === NO_API_KEY
            ? 'none'
            : 'fixed',
      rpm: settings.rpm || null,
      tpm: settings.tpm || null,
      windowMs: settings.windowMs ?? DEFAULT_RATE_WINDOW_MS,
      buckets: limiter?.view(this.now()) ?? { requests: null, tokens: null },
    };
  }

  /** `openai` and every configured provider, by name. */
  list(): Record<string, ProviderView> {
    const names = new Set([
      DEFAULT_PROVIDER,
      ...Object.keys(this.settings.providers),
    ]);
    return Object.fromEntries(
      [...names].map((name) => [name, this.view(name)]),
    );
  }

  /** The buckets' clock, in milliseconds (`performance.now()` without one); every bucket starts full on it. */
  useClock(now?: () => number): void {
    this.now = now ?? (() => performance.now());
    this.limiters.clear();
  }

  /** Every bucket full again; the limits stay. */
  reset(): void {
    this.limiters.clear();
  }

  private limiter(name: string): ProviderRateLimiter | undefined {
    if (!this.limiters.has(name)) {
      const { rpm, tpm, windowMs } = this.settings.providers[name] ?? {};
      this.limiters.set(
        name,
        rpm || tpm
          ? new ProviderRateLimiter(
              { rpm, tpm, windowMs: windowMs ?? DEFAULT_RATE_WINDOW_MS },
              this.now(),
            )
          : undefined,
      );
    }
    return this.limiters.get(name);
  }

  private admit(
    name: string,
    model: string,
    tokens: number,
    res: Response,
  ): Record<string, string> | undefined {
    const limiter = this.limiter(name);
    if (!limiter) return undefined;
    const verdict = limiter.admit(tokens, this.now());
    if (verdict.allowed) return verdict.headers;
    this.stats.providerThrottled(name);
    res.set({ ...verdict.headers, ...retryAfterHeaders(verdict.refusal) });
    throw new OpenAiError(429, rateLimitMessage(model, verdict.refusal), {
      type: verdict.refusal.kind,
      code: 'rate_limit_exceeded',
    });
  }
}
