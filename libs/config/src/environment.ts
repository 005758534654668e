import {
  IsIn,
  IsNotEmpty,
  IsOptional,
  Matches,
  ValidateBy,
  ValidateIf,
  type ValidationArguments,
  isFQDN,
  isIP,
} from 'class-validator';
import { urlProblems } from './service-url.js';

export const TOKEN_AUTH_METHODS = [
  'client_secret_basic',
  'client_secret_post',
] as const;
export type TokenAuthMethod = (typeof TOKEN_AUTH_METHODS)[number];

export const LOG_LEVELS = [
  'fatal',
  'error',
  'warn',
  'info',
  'debug',
  'trace',
  'silent',
] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const EMBEDDING_PROVIDER_SETTINGS = ['auto', 'openai', 'mock'] as const;
export type EmbeddingProviderSetting =
  (typeof EMBEDDING_PROVIDER_SETTINGS)[number];

/** Variables whose values must never be echoed back in an error line. */
export const SECRET_VARIABLES = new Set([
  'OAUTH2_CLIENT_SECRET',
  'OPENAI_API_KEY',
]);

const got = (args: ValidationArguments): string =>
  SECRET_VARIABLES.has(args.property) ? '' : ` (got "${String(args.value)}")`;

const positiveInteger = (
  { allowZero }: { allowZero: boolean } = { allowZero: false },
) =>
  Matches(allowZero ? /^\d+$/ : /^0*[1-9]\d*$/, {
    message: (args) =>
      `${args.property} must be a ${allowZero ? 'non-negative' : 'positive'} integer${got(args)}`,
  });

const oneOf = (values: readonly string[]) =>
  IsIn(values, {
    message: (args) =>
      `${args.property} must be one of ${values.join(', ')}${got(args)}`,
  });

export const isTrue = (value: unknown): boolean =>
  value === 'true' || value === '1';

/**
 * An http(s) URL of a peer: no credentials, query string or fragment, and
 * https unless REQUIRE_HTTPS allows otherwise. Every problem of one
 * variable goes on its one line.
 */
const serviceUrl = () => {
  const problems = (args: ValidationArguments | undefined) =>
    args === undefined
      ? []
      : urlProblems(args.value, {
          requireHttps: isTrue(Reflect.get(args.object, 'REQUIRE_HTTPS')),
        });
  return ValidateBy({
    name: 'serviceUrl',
    validator: {
      validate: (_value, args) => problems(args).length === 0,
      defaultMessage: (args) =>
        `${args?.property} ${problems(args).join(' and ')}`,
    },
  });
};

/** What `server.listen` takes as a host: an IP address (no brackets) or a host name. */
const listenHost = () =>
  ValidateBy({
    name: 'listenHost',
    validator: {
      validate: (value) =>
        typeof value === 'string' &&
        (isIP(value) || isFQDN(value, { require_tld: false })),
      defaultMessage: (args) =>
        `${args?.property} must be an IP address or a host name${args ? got(args) : ''}`,
    },
  });

/** A rule on the raw string whose message may read the other variables. */
const rule = (
  name: string,
  test: (value: string, env: object) => boolean,
  message: (args: ValidationArguments) => string,
) =>
  ValidateBy({
    name,
    validator: {
      validate: (value, args) =>
        typeof value === 'string' &&
        args !== undefined &&
        test(value, args.object),
      defaultMessage: (args) => (args ? message(args) : name),
    },
  });

const shard = () =>
  rule(
    'workerShard',
    (value) => {
      const match = /^(\d+)\/(\d+)$/.exec(value);
      return match !== null && Number(match[1]) < Number(match[2]);
    },
    (args) => `WORKER_SHARD must look like i/n with 0 <= i < n${got(args)}`,
  );

const port = () =>
  rule(
    'port',
    (value) => /^\d+$/.test(value) && Number(value) <= 65535,
    (args) =>
      `${args.property} must be a port number from 0 to 65535${got(args)}`,
  );

/** A number over `max`; other malformed values are `positiveInteger`'s to report. */
const atMost = (max: number, why: string) =>
  rule(
    'atMost',
    (value) => !/^\d+$/.test(value) || Number(value) <= max,
    (args) => `${args.property} must be at most ${max}, ${why}${got(args)}`,
  );

export const PLACEHOLDER_API_KEY = 'your_openai_api_key_here';

export const usableApiKey = (key: unknown): key is string =>
  typeof key === 'string' && key.trim() !== '' && key !== PLACEHOLDER_API_KEY;

type RawEnvironment = Readonly<Record<string, string | undefined>>;

/**
 * Whether the service runs on the mock providers: asked for, or left on
 * auto with no provider to call (no usable OpenAI key, no
 * `PROVIDER_<NAME>_BASE_URL`).
 */
export function runsOnMocks(env: RawEnvironment): boolean {
  if (env.EMBEDDING_PROVIDER === 'mock') return true;
  const named = Object.keys(env).some((name) =>
    /^PROVIDER_.+_BASE_URL$/.test(name),
  );
  return !named && !usableApiKey(env.OPENAI_API_KEY);
}

/**
 * Why the OpenAI key is needed but unusable, if it is: EMBEDDING_PROVIDER
 * is openai, or NODE_ENV is production with the provider left on auto and
 * nothing else to call (mock results look like success: in production only
 * when asked for).
 */
function missingKeyProblem(env: RawEnvironment): string | undefined {
  const key = env.OPENAI_API_KEY;
  if (usableApiKey(key)) return undefined;
  const provider = env.EMBEDDING_PROVIDER ?? 'auto';
  if (provider === 'openai') {
    return 'OPENAI_API_KEY is required when EMBEDDING_PROVIDER is openai (it is unset or the placeholder)';
  }
  if (
    env.NODE_ENV === 'production' &&
    provider === 'auto' &&
    runsOnMocks(env)
  ) {
    const why =
      key === PLACEHOLDER_API_KEY
        ? 'OPENAI_API_KEY is the placeholder'
        : 'OPENAI_API_KEY is not set';
    return `${why} and NODE_ENV is production: set OPENAI_API_KEY (or a PROVIDER_<NAME>_BASE_URL), or EMBEDDING_PROVIDER=mock to run on mock embeddings on purpose`;
  }
  return undefined;
}

const CONTACT = /[^\s@]+@[^\s@]+\.[^\s@]+|https?:\/\/\S+/;

/**
 * Wikimedia's User-Agent policy: a descriptive agent with a way to reach
 * its operator; requests without one are refused (403). Needed whenever
 * Wikidata is called, that is outside mock mode.
 */
function userAgentProblem(env: RawEnvironment): string | undefined {
  const agent = env.WIKIDATA_USER_AGENT;
  if (agent === undefined) {
    return runsOnMocks(env)
      ? undefined
      : 'WIKIDATA_USER_AGENT is required outside mock mode: a descriptive User-Agent with a contact, e.g. "fact-checker-ai/1.0 (https://example.org; ops@example.org)", as Wikimedia\'s policy asks';
  }
  return CONTACT.test(agent)
    ? undefined
    : `WIKIDATA_USER_AGENT must say how to contact you (an e-mail address or an http(s) URL), as Wikimedia's User-Agent policy asks (got "${agent}")`;
}

/** What one variable cannot say alone: which providers must be usable. */
export const modeProblems = (env: RawEnvironment): string[] =>
  [missingKeyProblem(env), userAgentProblem(env)].filter(
    (problem) => problem !== undefined,
  );

const required = () =>
  IsNotEmpty({ message: (args) => `${args.property} is required` });

const present = (value: unknown) => value !== undefined && value !== '';

/**
 * The raw environment as operators write it: every value is a string.
 * Rules here are the ones of docs/contract.md's configuration table; each
 * field is typed as it is once validated, and the settings are derived from
 * it in `ServiceConfig.fromEnvironment`.
 */
export class EnvironmentVariables {
  @required()
  @serviceUrl()
  API_BASE_URL: string;

  @ValidateIf((env: EnvironmentVariables) => !present(env.OAUTH2_TOKEN_URL))
  @IsNotEmpty({ message: () => 'set ORY_PROJECT_SLUG or OAUTH2_TOKEN_URL' })
  @Matches(/^[a-z0-9-]+$/i, {
    message: (args) =>
      `ORY_PROJECT_SLUG must contain only letters, digits and dashes${got(args)}`,
  })
  ORY_PROJECT_SLUG?: string;

  @IsOptional()
  @serviceUrl()
  OAUTH2_TOKEN_URL?: string;

  @required()
  OAUTH2_CLIENT_ID: string;

  @required()
  OAUTH2_CLIENT_SECRET: string;

  @IsOptional()
  OAUTH2_SCOPE?: string;

  @IsOptional()
  @oneOf(TOKEN_AUTH_METHODS)
  OAUTH2_TOKEN_AUTH_METHOD?: TokenAuthMethod;

  // Whether it is needed: modeProblems.
  @IsOptional()
  OPENAI_API_KEY?: string;

  @IsOptional()
  @serviceUrl()
  OPENAI_BASE_URL?: string;

  @IsOptional()
  @oneOf(EMBEDDING_PROVIDER_SETTINGS)
  EMBEDDING_PROVIDER?: EmbeddingProviderSetting;

  @IsOptional() @positiveInteger() POLLING_INTERVAL_SECONDS?: string;
  @IsOptional() @positiveInteger() CONCURRENCY_LIMIT?: string;
  @IsOptional() @positiveInteger({ allowZero: true }) PREFETCH_LIMIT?: string;
  @IsOptional() @positiveInteger() REQUEST_TIMEOUT?: string;
  @IsOptional() @positiveInteger() OPENAI_TIMEOUT?: string;
  @IsOptional() @positiveInteger({ allowZero: true }) MAX_RETRIES?: string;
  @IsOptional() @positiveInteger() CIRCUIT_BREAKER_THRESHOLD?: string;
  @IsOptional() @positiveInteger() CIRCUIT_BREAKER_RESET_SECONDS?: string;
  @IsOptional() @positiveInteger() SHUTDOWN_TIMEOUT_SECONDS?: string;
  @IsOptional()
  @positiveInteger({ allowZero: true })
  STALE_TASK_TIMEOUT_SECONDS?: string;
  @IsOptional() @positiveInteger() COMPLETION_FAILURE_TIMEOUT_SECONDS?: string;

  @IsOptional() @shard() WORKER_SHARD?: string;

  @IsOptional()
  @positiveInteger()
  @atMost(2048, "OpenAI's limit of inputs per request")
  EMBEDDING_BATCH_SIZE?: string;
  @IsOptional()
  @positiveInteger({ allowZero: true })
  EMBEDDING_BATCH_WAIT_MS?: string;
  @IsOptional() @positiveInteger() OPENAI_MAX_CONCURRENT_REQUESTS?: string;

  /** Chat model of the verification task types when a task names none. */
  @IsOptional()
  @Matches(/^\S+$/, {
    message: (args) =>
      `LLM_DEFAULT_MODEL must be a model name without spaces${got(args)}`,
  })
  LLM_DEFAULT_MODEL?: string;

  @IsOptional()
  @serviceUrl()
  WIKIDATA_API_URL?: string;

  // Whether it is needed, and its contact: modeProblems.
  @IsOptional()
  WIKIDATA_USER_AGENT?: string;

  // Providers, routes and budgets: read and checked by
  // readProvidersAndBudgets (PROVIDER_<NAME>_* are open-ended); declared
  // here so that every fixed name is known.
  @IsOptional() @positiveInteger() OPENAI_RPM?: string;
  @IsOptional() @positiveInteger() OPENAI_TPM?: string;
  @IsOptional() MODEL_ROUTES?: string;
  @IsOptional() BUDGET_MINUTE_TOKENS?: string;
  @IsOptional() BUDGET_MINUTE_USD?: string;
  @IsOptional() BUDGET_HOUR_TOKENS?: string;
  @IsOptional() BUDGET_HOUR_USD?: string;
  @IsOptional() BUDGET_DAY_TOKENS?: string;
  @IsOptional() BUDGET_DAY_USD?: string;
  @IsOptional() BUDGET_WEEK_TOKENS?: string;
  @IsOptional() BUDGET_WEEK_USD?: string;
  @IsOptional() BUDGET_MONTH_TOKENS?: string;
  @IsOptional() BUDGET_MONTH_USD?: string;
  @IsOptional() BUDGET_PRICES_FILE?: string;
  @IsOptional() BUDGET_FILE?: string;
  @IsOptional() BUDGET_STORE?: string;
  @IsOptional() REDIS_URL?: string;

  @IsOptional()
  @oneOf(['true', 'false', '1', '0'])
  RUN_ONCE?: string;

  @IsOptional() @port() METRICS_PORT?: string;

  @IsOptional()
  @oneOf(LOG_LEVELS)
  LOG_LEVEL?: LogLevel;

  @IsOptional() @positiveInteger() API_MAX_RESPONSE_BYTES?: string;
  @IsOptional() @positiveInteger() API_MAX_REQUEST_BYTES?: string;

  /** Interface of the metrics server; unset: all of them. */
  @IsOptional()
  @listenHost()
  METRICS_HOST?: string;

  /** Refuse plain http:// to hosts that are not loopback instead of warning. */
  @IsOptional()
  @oneOf(['true', 'false', '1', '0'])
  REQUIRE_HTTPS?: string;

  /** `production` keeps logs JSON even on a terminal (pino-pretty is a dev dependency). */
  @IsOptional()
  NODE_ENV?: string;
}
