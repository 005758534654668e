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

const isTrue = (value: string | undefined) => value === 'true' || value === '1';

/**
 * An http(s) URL of a peer: no credentials, query string or fragment, and
 * https unless REQUIRE_HTTPS allows otherwise. Every problem of one
 * variable goes on its one line.
 */
const serviceUrl = () => {
  const problems = (args: ValidationArguments) =>
    urlProblems(args.value, {
      requireHttps: isTrue((args.object as EnvironmentVariables).REQUIRE_HTTPS),
    });
  return ValidateBy({
    name: 'serviceUrl',
    validator: {
      validate: (_value, args) => problems(args!).length === 0,
      defaultMessage: (args) =>
        `${args!.property} ${problems(args!).join(' and ')}`,
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
        `${args!.property} must be an IP address or a host name${got(args!)}`,
    },
  });

const required = () =>
  IsNotEmpty({ message: (args) => `${args.property} is required` });

const present = (value: unknown) => value !== undefined && value !== '';

/**
 * The raw environment as operators write it: every value is a string.
 * Rules here are the ones of docs/contract.md's configuration table; the typed
 * values are derived in `ServiceConfig.fromEnvironment`.
 */
export class EnvironmentVariables {
  @required()
  @serviceUrl()
  API_BASE_URL?: string;

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
  OAUTH2_CLIENT_ID?: string;

  @required()
  OAUTH2_CLIENT_SECRET?: string;

  @IsOptional()
  OAUTH2_SCOPE?: string;

  @IsOptional()
  @oneOf(['client_secret_basic', 'client_secret_post'])
  OAUTH2_TOKEN_AUTH_METHOD?: string;

  @IsOptional()
  OPENAI_API_KEY?: string;

  @IsOptional()
  @serviceUrl()
  OPENAI_BASE_URL?: string;

  @IsOptional()
  @oneOf(['auto', 'openai', 'mock'])
  EMBEDDING_PROVIDER?: string;

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

  @IsOptional()
  @Matches(/^\d+\/\d+$/, {
    message: (args) =>
      `WORKER_SHARD must look like i/n with 0 <= i < n${got(args)}`,
  })
  WORKER_SHARD?: string;

  @IsOptional() @positiveInteger() EMBEDDING_BATCH_SIZE?: string;
  @IsOptional()
  @positiveInteger({ allowZero: true })
  EMBEDDING_BATCH_WAIT_MS?: string;
  @IsOptional() @positiveInteger() OPENAI_MAX_CONCURRENT_REQUESTS?: string;

  @IsOptional()
  @oneOf(['true', 'false', '1', '0'])
  RUN_ONCE?: string;

  @IsOptional()
  @Matches(/^\d+$/, {
    message: (args) =>
      `METRICS_PORT must be a port number from 0 to 65535${got(args)}`,
  })
  METRICS_PORT?: string;

  @IsOptional()
  @oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'])
  LOG_LEVEL?: string;

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
