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
}

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
  embeddingsLatencyMs: number;
  embeddingsApiKey: string | undefined;
  keepResults: boolean;
  introspectionCacheMs: number;

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
    this.embeddingsLatencyMs = options.embeddingsLatencyMs ?? 0;
    this.embeddingsApiKey = options.embeddingsApiKey || undefined;
    this.keepResults = options.keepResults ?? true;
    this.introspectionCacheMs = options.introspectionCacheMs ?? 1000;
  }

  /** The switches that can change at run time. */
  switches(): SandboxSwitches {
    return {
      honourLimit: this.honourLimit,
      conflictOnClaim: this.conflictOnClaim,
      embeddingsLatencyMs: this.embeddingsLatencyMs,
      tokenTtlSeconds: this.tokenTtlSeconds,
      keepResults: this.keepResults,
    };
  }
}

export type SandboxSwitches = Pick<
  SandboxSettings,
  | 'honourLimit'
  | 'conflictOnClaim'
  | 'embeddingsLatencyMs'
  | 'tokenTtlSeconds'
  | 'keepResults'
>;

export const DEFAULT_CLIENT_ID = 'ai-task-processor';
export const DEFAULT_CLIENT_SECRET = 'sandbox-secret';
