import { validate } from '@app/validation';
import {
  type BudgetLimit,
  type BudgetStore,
  type ModelRoute,
  type ProviderSettings,
  type ProvidersAndBudgets,
  readProvidersAndBudgets,
} from './provider-settings.js';
import {
  EnvironmentVariables,
  type LogLevel,
  PLACEHOLDER_API_KEY,
  type TokenAuthMethod,
  isTrue,
  modeProblems,
  usableApiKey,
} from './environment.js';
import {
  type UrlVariable,
  originAndPath,
  plainHttpWarning,
} from './service-url.js';

/**
 * Whether AI work goes to real providers (`config.providers`) or to the
 * in-process mocks, and the sentence the start-up log gives for it.
 */
export type ProviderMode =
  { kind: 'providers'; reason: string } | { kind: 'mock'; reason: string };

export interface WorkerShard {
  index: number;
  count: number;
}

/** Every problem found in the environment, one readable line each. */
export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n${problems.join('\n')}`);
    this.name = 'ConfigValidationError';
  }
}

const DEFAULT_OPENAI_BASE_URL = 'https://api.openai.com/v1';
const DEFAULT_CHAT_MODEL = 'gpt-4o-mini';
const DEFAULT_WIKIDATA_API_URL = 'https://www.wikidata.org/w/api.php';
const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;
/** Express's default body limit (100 kB), which the reference API keeps. */
const DEFAULT_MAX_REQUEST_BYTES = 100 * 1024;

const int = (value: string | undefined, fallback: number): number =>
  value === undefined || value === '' ? fallback : Number.parseInt(value, 10);

const seconds = (value: string | undefined, fallback: number): number =>
  int(value, fallback) * 1000;

const withoutTrailingSlash = (url: string): string => url.replace(/\/+$/, '');

/**
 * The service's settings, typed and validated. Other modules inject this
 * class; nothing outside the config module reads the environment.
 * Durations are milliseconds.
 */
export class ServiceConfig {
  readonly api: {
    /** Origin and path only, no trailing slash. */
    baseUrl: string;
    requestTimeoutMs: number;
    maxResponseBytes: number;
    /** The largest PATCH body sent; a larger result fails its task (`result_too_large`). */
    maxRequestBytes: number;
  };
  readonly auth: {
    /** Origin and path only. */
    tokenUrl: string;
    clientId: string;
    clientSecret: string;
    scope: string;
    authMethod: TokenAuthMethod;
    requestTimeoutMs: number;
  };
  readonly resilience: {
    maxRetries: number;
    breakerThreshold: number;
    breakerResetMs: number;
  };
  readonly embeddings: {
    provider: ProviderMode;
    /** Origin and path only, no trailing slash. */
    baseUrl: string;
    timeoutMs: number;
    batchSize: number;
    batchWaitMs: number;
    maxConcurrentRequests: number;
  };
  /** The chat provider of the verification task types: the embeddings' provider choice and server. */
  readonly chat: {
    provider: ProviderMode;
    /** Origin and path only, no trailing slash. */
    baseUrl: string;
    /** `LLM_DEFAULT_MODEL`: the model of a task that names none. */
    defaultModel: string;
    timeoutMs: number;
    maxConcurrentRequests: number;
  };
  readonly wikidata: {
    /** The action API (`…/w/api.php`), origin and path only. */
    apiUrl: string;
    /** Set whenever Wikidata is called (outside mock mode). */
    userAgent: string | undefined;
    requestTimeoutMs: number;
  };
  /** The servers AI work goes to, and which model goes where (docs/providers.md). */
  readonly providers: {
    /** `openai` first when it has a key, then the `PROVIDER_<NAME>_*` ones. */
    list: readonly ProviderSettings[];
    routes: readonly ModelRoute[];
  };
  /** Spending limits, all providers together, and where usage is counted. */
  readonly budgets: {
    limits: readonly BudgetLimit[];
    pricesFile: string | undefined;
    store: BudgetStore;
  };
  readonly tasks: {
    pollingIntervalMs: number;
    concurrencyLimit: number;
    prefetchLimit: number;
    shutdownTimeoutMs: number;
    staleTaskTimeoutMs: number;
    /** How long a completion answered 5xx (while other calls succeed) is retried before `completion_failed`. */
    completionFailureTimeoutMs: number;
    shard: WorkerShard | undefined;
    runOnce: boolean;
  };
  readonly observability: {
    metricsPort: number;
    /**
     * Interface of the metrics server. Undefined: all of them, as Node
     * binds by default (`::` and IPv4 where IPv6 is available, else
     * `0.0.0.0`); probes and scrapers reach the pod from outside.
     */
    metricsHost: string | undefined;
    logLevel: LogLevel;
    /** Pretty logs are allowed (development); used only when stdout is a terminal. */
    prettyLogs: boolean;
  };
  /**
   * Settings that are allowed but risky, one sentence each naming the
   * variable. Built before any logger exists; `ConfigWarnings` logs them
   * once when the application boots.
   */
  readonly warnings: readonly string[];

  private constructor(
    env: EnvironmentVariables,
    extra: ProvidersAndBudgets,
    argv: readonly string[],
  ) {
    const requestTimeoutMs = seconds(env.REQUEST_TIMEOUT, 30);
    this.api = {
      baseUrl: withoutTrailingSlash(originAndPath(env.API_BASE_URL)),
      requestTimeoutMs,
      maxResponseBytes: int(
        env.API_MAX_RESPONSE_BYTES,
        DEFAULT_MAX_RESPONSE_BYTES,
      ),
      maxRequestBytes: int(
        env.API_MAX_REQUEST_BYTES,
        DEFAULT_MAX_REQUEST_BYTES,
      ),
    };
    this.auth = {
      tokenUrl: env.OAUTH2_TOKEN_URL
        ? originAndPath(env.OAUTH2_TOKEN_URL)
        : `https://${env.ORY_PROJECT_SLUG}.projects.oryapis.com/oauth2/token`,
      clientId: env.OAUTH2_CLIENT_ID,
      clientSecret: env.OAUTH2_CLIENT_SECRET,
      scope: env.OAUTH2_SCOPE ?? 'read write',
      authMethod: env.OAUTH2_TOKEN_AUTH_METHOD ?? 'client_secret_basic',
      requestTimeoutMs,
    };
    this.resilience = {
      maxRetries: int(env.MAX_RETRIES, 3),
      breakerThreshold: int(env.CIRCUIT_BREAKER_THRESHOLD, 5),
      breakerResetMs: seconds(env.CIRCUIT_BREAKER_RESET_SECONDS, 60),
    };
    this.embeddings = {
      provider: chooseProviderMode(env, extra.providers),
      baseUrl: withoutTrailingSlash(
        originAndPath(env.OPENAI_BASE_URL || DEFAULT_OPENAI_BASE_URL),
      ),
      timeoutMs: seconds(env.OPENAI_TIMEOUT, 60),
      batchSize: int(env.EMBEDDING_BATCH_SIZE, 128),
      batchWaitMs: int(env.EMBEDDING_BATCH_WAIT_MS, 10),
      maxConcurrentRequests: int(env.OPENAI_MAX_CONCURRENT_REQUESTS, 4),
    };
    this.chat = {
      provider: this.embeddings.provider,
      baseUrl: this.embeddings.baseUrl,
      defaultModel: env.LLM_DEFAULT_MODEL ?? DEFAULT_CHAT_MODEL,
      timeoutMs: this.embeddings.timeoutMs,
      maxConcurrentRequests: this.embeddings.maxConcurrentRequests,
    };
    this.wikidata = {
      apiUrl: originAndPath(env.WIKIDATA_API_URL ?? DEFAULT_WIKIDATA_API_URL),
      userAgent: env.WIKIDATA_USER_AGENT,
      requestTimeoutMs,
    };
    this.providers = { list: extra.providers, routes: extra.routes };
    this.budgets = {
      limits: extra.budgets,
      pricesFile: extra.pricesFile,
      store: extra.store,
    };
    this.tasks = {
      pollingIntervalMs: seconds(env.POLLING_INTERVAL_SECONDS, 30),
      concurrencyLimit: int(env.CONCURRENCY_LIMIT, 5),
      prefetchLimit: int(env.PREFETCH_LIMIT, 256),
      shutdownTimeoutMs: seconds(env.SHUTDOWN_TIMEOUT_SECONDS, 30),
      staleTaskTimeoutMs: seconds(env.STALE_TASK_TIMEOUT_SECONDS, 900),
      completionFailureTimeoutMs: seconds(
        env.COMPLETION_FAILURE_TIMEOUT_SECONDS,
        300,
      ),
      shard: parseShard(env.WORKER_SHARD),
      runOnce: isTrue(env.RUN_ONCE) || argv.includes('--once'),
    };
    this.observability = {
      metricsPort: int(env.METRICS_PORT, 8001),
      metricsHost: env.METRICS_HOST,
      logLevel: env.LOG_LEVEL ?? 'info',
      prettyLogs: env.NODE_ENV !== 'production',
    };
    this.warnings = urlWarnings(env);
  }

  /**
   * Validates the raw environment and builds the typed settings.
   * @throws ConfigValidationError listing every problem, one line each.
   */
  static fromEnvironment(
    raw: Record<string, string | undefined>,
    argv: readonly string[] = [],
  ): ServiceConfig {
    const env = blankAsUnset(raw);
    const checked = validate(EnvironmentVariables, env);
    const problems = checked.kind === 'invalid' ? [...checked.problems] : [];
    problems.push(...modeProblems(env));
    const extra = readProvidersAndBudgets(
      env,
      checked.kind === 'valid' ? openaiProvider(checked.value) : undefined,
      isTrue(env.REQUIRE_HTTPS),
      problems,
    );
    if (checked.kind === 'invalid' || problems.length > 0) {
      throw new ConfigValidationError(problems);
    }
    return new ServiceConfig(checked.value, extra, argv);
  }
}

/** An empty variable (`FOO=`) means "use the default", as in most .env tooling. */
const blankAsUnset = (raw: Record<string, string | undefined>) =>
  Object.fromEntries(Object.entries(raw).filter(([, value]) => value?.trim()));

/**
 * Plain HTTP across the network is common inside a cluster behind a mesh
 * that encrypts it, so it is allowed; REQUIRE_HTTPS=true refuses it.
 */
function urlWarnings(env: EnvironmentVariables): string[] {
  const urls: [UrlVariable, string | undefined][] = [
    ['API_BASE_URL', env.API_BASE_URL],
    ['OAUTH2_TOKEN_URL', env.OAUTH2_TOKEN_URL],
    ['OPENAI_BASE_URL', env.OPENAI_BASE_URL],
    ['WIKIDATA_API_URL', env.WIKIDATA_API_URL],
  ];
  return urls.flatMap(([variable, value]) => {
    const warning = value && plainHttpWarning(variable, value);
    return warning ? [warning] : [];
  });
}

function parseShard(value: string | undefined): WorkerShard | undefined {
  if (!value) return undefined;
  const [index, count] = value.split('/').map((part) => Number(part));
  return { index, count };
}

/** OpenAI, when it has a key: `OPENAI_BASE_URL`, `OPENAI_API_KEY`, `OPENAI_RPM`, `OPENAI_TPM`. */
function openaiProvider(
  env: EnvironmentVariables,
): ProviderSettings | undefined {
  if (env.EMBEDDING_PROVIDER === 'mock' || !usableApiKey(env.OPENAI_API_KEY)) {
    return undefined;
  }
  return {
    name: 'openai',
    baseUrl: withoutTrailingSlash(
      originAndPath(env.OPENAI_BASE_URL || DEFAULT_OPENAI_BASE_URL),
    ),
    apiKey: env.OPENAI_API_KEY,
    rpm: env.OPENAI_RPM === undefined ? undefined : Number(env.OPENAI_RPM),
    tpm: env.OPENAI_TPM === undefined ? undefined : Number(env.OPENAI_TPM),
  };
}

function chooseProviderMode(
  env: EnvironmentVariables,
  providers: readonly ProviderSettings[],
): ProviderMode {
  const setting = env.EMBEDDING_PROVIDER ?? 'auto';
  if (setting === 'mock') {
    return { kind: 'mock', reason: 'EMBEDDING_PROVIDER is mock' };
  }
  if (providers.length > 0) {
    const why =
      setting === 'openai'
        ? 'EMBEDDING_PROVIDER is openai'
        : usableApiKey(env.OPENAI_API_KEY)
          ? 'OPENAI_API_KEY is set'
          : 'PROVIDER_<NAME>_BASE_URL is set';
    const named = providers.filter(({ name }) => name !== 'openai');
    return {
      kind: 'providers',
      reason:
        named.length === 0
          ? why
          : `${why}; providers ${providers.map(({ name }) => name).join(', ')}`,
    };
  }
  return {
    kind: 'mock',
    reason:
      env.OPENAI_API_KEY === PLACEHOLDER_API_KEY
        ? 'OPENAI_API_KEY is the placeholder'
        : 'OPENAI_API_KEY is not set',
  };
}
