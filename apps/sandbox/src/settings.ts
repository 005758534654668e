import {
  providerProblems,
  type ProviderSettings,
} from './providers/provider-settings.js';
import type { SeedableType } from './tasks/task-types.js';

/** The sandbox's profiles: `lenient` (the default) or `reference`, which models the real server. */
export const SANDBOX_PROFILES = ['lenient', 'reference'] as const;
export type SandboxProfile = (typeof SANDBOX_PROFILES)[number];

/** How the registered OAuth2 client authenticates at the token endpoint. */
export const CLIENT_AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
] as const;
export type ClientAuthMethod = (typeof CLIENT_AUTH_METHODS)[number];

/** What a caller may choose when starting a sandbox; every field has a default. */
export interface SandboxOptions {
  /** TCP port; 0 (the default) picks a free one. */
  port?: number;
  /** Interface to bind; loopback by default. */
  host?: string;
  /** The OAuth2 client registered with the issuer. */
  clientId?: string;
  clientSecret?: string;
  /** Lifetime of issued access tokens, in seconds. */
  tokenTtlSeconds?: number;
  /** Whether `/pending` honours `limit` (the reference application ignores it). */
  honourLimit?: boolean;
  /**
   * Whether the API enforces its transitions with 409 (conditional updates).
   * The reference application answers 200 and applies every update.
   */
  conflictOnClaim?: boolean;
  /** Pending tasks created at start-up. */
  seed?: number;
  /** Of the seeded tasks, how many use the legacy document shape. */
  seedLegacy?: number;
  /** The types of the seeded tasks, in turn (`text_embedding` only by default). */
  seedTypes?: SeedableType[];
  /** Added to every embeddings answer, in milliseconds. */
  embeddingsLatencyMs?: number;
  /** The one API key the embeddings endpoint accepts; any non-empty key when unset. */
  embeddingsApiKey?: string;
  /** Keep `result` vectors of finished tasks (turn off for huge benchmark backlogs). */
  keepResults?: boolean;
  /** Longest a token introspection answer is reused, in milliseconds. */
  introspectionCacheMs?: number;
  /** Nest log levels written to stdout as JSON lines; errors and warnings by default. */
  logLevels?: ('error' | 'warn' | 'log' | 'debug' | 'verbose' | 'fatal')[];
  /**
   * The defaults of the switches below: `lenient` (today's sandbox) or
   * `reference` (every behaviour of the real server on). A switch given
   * explicitly wins over its profile.
   */
  profile?: SandboxProfile;
  /** A `succeeded` PATCH with a `result` dispatches it to the task's callback after saving. */
  callbacks?: boolean;
  /** Requests per client address and window on the tasks API; 0 turns the throttle off. */
  throttleLimit?: number;
  /** The throttle's window, and how long a client that went over stays blocked. */
  throttleTtlMs?: number;
  /** Every 404 of the tasks API becomes a 302 to `/404` (an HTML page). */
  redirectNotFound?: boolean;
  /** The issuer accepts only `clientAuthMethod` and `clientScopes`, with Ory's errors. */
  strictIssuer?: boolean;
  /** The registered client's authentication method (enforced when `strictIssuer`). */
  clientAuthMethod?: ClientAuthMethod;
  /** The scopes the registered client may request, space separated. */
  clientScopes?: string;
  /** Largest JSON body the tasks API reads; 413 above it. */
  bodyLimitBytes?: number;
  /** Whether a PATCH stores `result` and `error` (the real server stores only `state`). */
  storeReports?: boolean;
  /**
   * The providers' key rules and rate limits, by name: `openai` is the one
   * at `/v1`, any other is at `/providers/<name>/v1` (docs/sandbox.md,
   * "Providers and rate limits"). A provider left out needs the default key
   * and has no limits.
   */
  providers?: Record<string, ProviderSettings>;
}

/** The switches a profile sets. */
export type ProfileSwitches = Pick<
  SandboxSettings,
  | 'callbacks'
  | 'throttleLimit'
  | 'throttleTtlMs'
  | 'redirectNotFound'
  | 'strictIssuer'
  | 'clientAuthMethod'
  | 'clientScopes'
  | 'bodyLimitBytes'
  | 'storeReports'
>;

/** Request bodies up to this size are read by default, so that a result just over 10 MB gets the contract's 400, not a 413. */
export const LENIENT_BODY_LIMIT_BYTES = 64 * 1024 * 1024;

export const PROFILE_DEFAULTS: Readonly<
  Record<SandboxProfile, Readonly<ProfileSwitches>>
> = {
  lenient: {
    callbacks: false,
    throttleLimit: 0,
    throttleTtlMs: 60_000,
    redirectNotFound: false,
    strictIssuer: false,
    clientAuthMethod: 'client_secret_basic',
    clientScopes: 'read write',
    bodyLimitBytes: LENIENT_BODY_LIMIT_BYTES,
    storeReports: true,
  },
  // The real server: @nestjs/throttler at 1,000 requests per 60 s, Express's
  // default 100 kB body limit, only `state` stored, callbacks, Ory, 404 -> /404.
  reference: {
    callbacks: true,
    throttleLimit: 1000,
    throttleTtlMs: 60_000,
    redirectNotFound: true,
    strictIssuer: true,
    clientAuthMethod: 'client_secret_basic',
    clientScopes: 'read write',
    bodyLimitBytes: 100 * 1024,
    storeReports: false,
  },
};

/**
 * The sandbox's settings as one injectable object. The switches are mutable so
 * that tests and benchmarks can flip them on a running sandbox (admin route).
 */
export class SandboxSettings {
  port: number;
  host: string;
  clientId: string;
  clientSecret: string;
  tokenTtlSeconds: number;
  honourLimit: boolean;
  conflictOnClaim: boolean;
  seed: number;
  seedLegacy: number;
  seedTypes: SeedableType[] | undefined;
  embeddingsLatencyMs: number;
  embeddingsApiKey: string | undefined;
  keepResults: boolean;
  introspectionCacheMs: number;
  profile: SandboxProfile;
  callbacks: boolean;
  throttleLimit: number;
  throttleTtlMs: number;
  redirectNotFound: boolean;
  strictIssuer: boolean;
  clientAuthMethod: ClientAuthMethod;
  clientScopes: string;
  bodyLimitBytes: number;
  storeReports: boolean;
  /** Changed at run time through `Providers.configure` (the admin routes). */
  providers: Record<string, ProviderSettings>;

  constructor(options: SandboxOptions = {}) {
    this.port = options.port ?? 0;
    this.host = options.host ?? '127.0.0.1';
    this.clientId = options.clientId ?? DEFAULT_CLIENT_ID;
    this.clientSecret = options.clientSecret ?? DEFAULT_CLIENT_SECRET;
    this.tokenTtlSeconds = options.tokenTtlSeconds ?? 3600;
    this.honourLimit = options.honourLimit ?? false;
    this.conflictOnClaim = options.conflictOnClaim ?? false;
    this.seed = options.seed ?? 0;
    this.seedLegacy = options.seedLegacy ?? 0;
    this.seedTypes = options.seedTypes?.length ? options.seedTypes : undefined;
    this.embeddingsLatencyMs = options.embeddingsLatencyMs ?? 0;
    this.embeddingsApiKey = options.embeddingsApiKey || undefined;
    this.keepResults = options.keepResults ?? true;
    this.introspectionCacheMs = options.introspectionCacheMs ?? 1000;
    this.profile = options.profile ?? 'lenient';
    const defaults = PROFILE_DEFAULTS[this.profile];
    this.callbacks = options.callbacks ?? defaults.callbacks;
    this.throttleLimit = options.throttleLimit ?? defaults.throttleLimit;
    this.throttleTtlMs = options.throttleTtlMs ?? defaults.throttleTtlMs;
    this.redirectNotFound =
      options.redirectNotFound ?? defaults.redirectNotFound;
    this.strictIssuer = options.strictIssuer ?? defaults.strictIssuer;
    this.clientAuthMethod =
      options.clientAuthMethod ?? defaults.clientAuthMethod;
    this.clientScopes = options.clientScopes ?? defaults.clientScopes;
    this.bodyLimitBytes = options.bodyLimitBytes ?? defaults.bodyLimitBytes;
    this.storeReports = options.storeReports ?? defaults.storeReports;
    const providers = Object.entries(options.providers ?? {});
    const problems = providers.flatMap(([name, provider]) =>
      providerProblems(name, provider).map((problem) => `${name}: ${problem}`),
    );
    if (problems.length)
      throw new Error(`invalid providers: ${problems.join('; ')}`);
    this.providers = Object.fromEntries(
      providers.map(([name, provider]) => [name, { ...provider }]),
    );
  }

  /** The switches that can change at run time. */
  switches(): SandboxSwitches {
    return {
      honourLimit: this.honourLimit,
      conflictOnClaim: this.conflictOnClaim,
      embeddingsLatencyMs: this.embeddingsLatencyMs,
      tokenTtlSeconds: this.tokenTtlSeconds,
      keepResults: this.keepResults,
      profile: this.profile,
      callbacks: this.callbacks,
      throttleLimit: this.throttleLimit,
      throttleTtlMs: this.throttleTtlMs,
      redirectNotFound: this.redirectNotFound,
      strictIssuer: this.strictIssuer,
      clientAuthMethod: this.clientAuthMethod,
      clientScopes: this.clientScopes,
      bodyLimitBytes: this.bodyLimitBytes,
      storeReports: this.storeReports,
    };
  }

  /**
   * Changes switches at run time. A new `profile` first sets every switch it
   * governs to that profile's default; the other switches of the same change
   * win over it.
   */
  update(changes: Partial<SandboxSwitches>): SandboxSwitches {
    const { profile, ...rest } = changes;
    if (profile !== undefined)
      Object.assign(this, PROFILE_DEFAULTS[profile], { profile });
    Object.assign(
      this,
      Object.fromEntries(
        Object.entries(rest).filter(([, value]) => value !== undefined),
      ),
    );
    return this.switches();
  }
}

export type SandboxSwitches = Pick<
  SandboxSettings,
  | 'honourLimit'
  | 'conflictOnClaim'
  | 'embeddingsLatencyMs'
  | 'tokenTtlSeconds'
  | 'keepResults'
  | 'profile'
  | keyof ProfileSwitches
>;

/** The scopes of a space-separated list, without duplicates. */
export function scopeList(scopes: string): string[] {
  return [...new Set(scopes.split(/\s+/).filter(Boolean))];
}

export const DEFAULT_CLIENT_ID = 'ai-task-processor';
export const DEFAULT_CLIENT_SECRET = 'sandbox-secret';
