import { parseArgs } from 'node:util';
import {
  isProviderName,
  type ProviderSettings,
} from './providers/provider-settings.js';
import { SEEDABLE_TYPES } from './tasks/task-types.js';
import {
  CLIENT_AUTH_METHODS,
  SANDBOX_PROFILES,
  scopeList,
  type SandboxOptions,
} from './settings.js';

type Kind =
  | 'port'
  | 'count'
  | 'seconds'
  | 'positive'
  | 'ms'
  | 'text'
  | 'switch'
  | 'profile'
  | 'auth-method'
  | 'scopes'
  | 'task-types';

interface Setting {
  env: string;
  flag: string;
  option: keyof SandboxOptions;
  kind: Kind;
}

/** Every setting of the sandbox process: an environment variable and a flag (the flag wins). */
export const SANDBOX_SETTINGS: readonly Setting[] = [
  { env: 'SANDBOX_PORT', flag: 'port', option: 'port', kind: 'port' },
  { env: 'SANDBOX_HOST', flag: 'host', option: 'host', kind: 'text' },
  { env: 'SANDBOX_SEED', flag: 'seed', option: 'seed', kind: 'count' },
  {
    env: 'SANDBOX_SEED_LEGACY',
    flag: 'seed-legacy',
    option: 'seedLegacy',
    kind: 'count',
  },
  {
    env: 'SANDBOX_SEED_TYPES',
    flag: 'seed-types',
    option: 'seedTypes',
    kind: 'task-types',
  },
  {
    env: 'SANDBOX_CLIENT_ID',
    flag: 'client-id',
    option: 'clientId',
    kind: 'text',
  },
  {
    env: 'SANDBOX_CLIENT_SECRET',
    flag: 'client-secret',
    option: 'clientSecret',
    kind: 'text',
  },
  {
    env: 'SANDBOX_TOKEN_TTL',
    flag: 'token-ttl',
    option: 'tokenTtlSeconds',
    kind: 'seconds',
  },
  {
    env: 'SANDBOX_HONOUR_LIMIT',
    flag: 'honour-limit',
    option: 'honourLimit',
    kind: 'switch',
  },
  {
    env: 'SANDBOX_CONFLICT_ON_CLAIM',
    flag: 'conflict-on-claim',
    option: 'conflictOnClaim',
    kind: 'switch',
  },
  {
    env: 'SANDBOX_EMBEDDINGS_LATENCY_MS',
    flag: 'embeddings-latency-ms',
    option: 'embeddingsLatencyMs',
    kind: 'ms',
  },
  {
    env: 'SANDBOX_EMBEDDINGS_API_KEY',
    flag: 'embeddings-api-key',
    option: 'embeddingsApiKey',
    kind: 'text',
  },
  {
    env: 'SANDBOX_KEEP_RESULTS',
    flag: 'keep-results',
    option: 'keepResults',
    kind: 'switch',
  },
  {
    env: 'SANDBOX_PROFILE',
    flag: 'profile',
    option: 'profile',
    kind: 'profile',
  },
  {
    env: 'SANDBOX_CALLBACKS',
    flag: 'callbacks',
    option: 'callbacks',
    kind: 'switch',
  },
  {
    env: 'SANDBOX_THROTTLE_LIMIT',
    flag: 'throttle-limit',
    option: 'throttleLimit',
    kind: 'count',
  },
  {
    env: 'SANDBOX_THROTTLE_TTL_MS',
    flag: 'throttle-ttl-ms',
    option: 'throttleTtlMs',
    kind: 'positive',
  },
  {
    env: 'SANDBOX_REDIRECT_NOT_FOUND',
    flag: 'redirect-not-found',
    option: 'redirectNotFound',
    kind: 'switch',
  },
  {
    env: 'SANDBOX_STRICT_ISSUER',
    flag: 'strict-issuer',
    option: 'strictIssuer',
    kind: 'switch',
  },
  {
    env: 'SANDBOX_CLIENT_AUTH_METHOD',
    flag: 'client-auth-method',
    option: 'clientAuthMethod',
    kind: 'auth-method',
  },
  {
    env: 'SANDBOX_CLIENT_SCOPES',
    flag: 'client-scopes',
    option: 'clientScopes',
    kind: 'scopes',
  },
  {
    env: 'SANDBOX_BODY_LIMIT_BYTES',
    flag: 'body-limit-bytes',
    option: 'bodyLimitBytes',
    kind: 'positive',
  },
  {
    env: 'SANDBOX_STORE_REPORTS',
    flag: 'store-reports',
    option: 'storeReports',
    kind: 'switch',
  },
];

/** The process defaults that differ from an in-process sandbox's. */
const PROCESS_DEFAULTS: SandboxOptions = { port: 3000 };

const SWITCH_WORDS: Record<string, boolean> = {
  true: true,
  '1': true,
  yes: true,
  false: false,
  '0': false,
  no: false,
};

/** `all`, or a comma-separated list of seedable types. */
function taskTypes(raw: string): string[] | undefined {
  if (raw.trim() === 'all') return [...SEEDABLE_TYPES];
  const types = raw.split(',').map((type) => type.trim());
  return types.length &&
    types.every((type) => (SEEDABLE_TYPES as readonly string[]).includes(type))
    ? types
    : undefined;
}

function convert(
  kind: Kind,
  raw: string,
): number | string | boolean | string[] | undefined {
  switch (kind) {
    case 'text':
      return raw;
    case 'switch':
      return SWITCH_WORDS[raw.toLowerCase()];
    case 'port': {
      const port = /^\d+$/.test(raw) ? Number(raw) : NaN;
      return port <= 65535 ? port : undefined;
    }
    case 'seconds':
    case 'positive':
      return /^[1-9]\d*$/.test(raw) ? Number(raw) : undefined;
    case 'profile':
      return (SANDBOX_PROFILES as readonly string[]).includes(raw)
        ? raw
        : undefined;
    case 'auth-method':
      return (CLIENT_AUTH_METHODS as readonly string[]).includes(raw)
        ? raw
        : undefined;
    case 'scopes':
      return scopeList(raw).length ? scopeList(raw).join(' ') : undefined;
    case 'task-types':
      return taskTypes(raw);
    default:
      return /^\d+$/.test(raw) ? Number(raw) : undefined;
  }
}

const EXPECTED: Record<Kind, string> = {
  port: 'a port number from 0 to 65535',
  count: 'a non-negative integer',
  seconds: 'a positive integer',
  positive: 'a positive integer',
  ms: 'a non-negative integer',
  text: 'a string',
  switch: 'true or false',
  profile: SANDBOX_PROFILES.join(' or '),
  'auth-method': CLIENT_AUTH_METHODS.join(' or '),
  scopes: 'a space-separated list of scopes',
  'task-types': `"all" or a comma-separated list of ${SEEDABLE_TYPES.join(', ')}`,
};

/**
 * A provider's settings (docs/sandbox.md, "Providers and rate limits"):
 * `SANDBOX_PROVIDER_<NAME>_<FIELD>` (the name lower-cased) or
 * `--provider <name>:<field>=<value>,…` (repeatable; a flag's field wins).
 */
const PROVIDER_FIELDS: Record<
  string,
  {
    field: keyof ProviderSettings;
    env: string;
    kind: 'text' | 'count' | 'positive';
  }
> = {
  'api-key': { field: 'apiKey', env: 'API_KEY', kind: 'text' },
  rpm: { field: 'rpm', env: 'RPM', kind: 'count' },
  tpm: { field: 'tpm', env: 'TPM', kind: 'count' },
  'window-ms': { field: 'windowMs', env: 'WINDOW_MS', kind: 'positive' },
};
const PROVIDER_PREFIX = 'SANDBOX_PROVIDER_';
const PROVIDER_VARIABLE = new RegExp(
  `^${PROVIDER_PREFIX}([A-Z0-9_]+?)_(${Object.values(PROVIDER_FIELDS)
    .map(({ env }) => env)
    .join('|')})$`,
);
const PROVIDER_FLAG = /^([^:]+):(.*)$/;
const PROVIDER_FLAG_FORMAT =
  '<name>:api-key=…,rpm=…,tpm=…,window-ms=… (any of them)';

/** Every provider setting of the environment, then of the flags; problems are named. */
function readProviders(
  env: NodeJS.ProcessEnv,
  flags: string[],
  problems: string[],
): Record<string, ProviderSettings> {
  const providers: Record<string, ProviderSettings> = {};
  const set = (
    name: string,
    key: string,
    raw: string,
    source: string,
  ): void => {
    const { field, kind } = PROVIDER_FIELDS[key];
    const value = kind === 'text' ? raw : convert(kind, raw);
    if (value === undefined)
      problems.push(`${source} must be ${EXPECTED[kind]} (got "${raw}")`);
    else Object.assign((providers[name] ??= {}), { [field]: value });
  };
  for (const [variable, raw] of Object.entries(env)) {
    if (
      !variable.startsWith(PROVIDER_PREFIX) ||
      raw === undefined ||
      raw === ''
    )
      continue;
    const match = PROVIDER_VARIABLE.exec(variable);
    const key = Object.keys(PROVIDER_FIELDS).find(
      (candidate) => PROVIDER_FIELDS[candidate].env === match?.[2],
    );
    if (!match || !key) {
      problems.push(
        `${variable} is not a provider setting (${PROVIDER_PREFIX}<NAME>_API_KEY, _RPM, _TPM or _WINDOW_MS)`,
      );
      continue;
    }
    const name = match[1].toLowerCase();
    if (isProviderName(name)) set(name, key, raw, variable);
    else
      problems.push(`${variable} names a provider of more than 32 characters`);
  }
  for (const flag of flags) {
    const [, name, fields] = PROVIDER_FLAG.exec(flag) ?? [];
    const pairs = (fields ?? '').split(',').map((pair) => {
      const at = pair.indexOf('=');
      return at < 0 ? [pair, ''] : [pair.slice(0, at), pair.slice(at + 1)];
    });
    if (
      !isProviderName(name) ||
      pairs.some(
        ([key, value]) => !Object.hasOwn(PROVIDER_FIELDS, key) || value === '',
      )
    ) {
      problems.push(
        `--provider must be ${PROVIDER_FLAG_FORMAT} (got "${flag}")`,
      );
      continue;
    }
    for (const [key, value] of pairs)
      set(name, key, value, `--provider ${name}: ${key}`);
  }
  return providers;
}

export type SandboxEnvironment =
  { ok: true; options: SandboxOptions } | { ok: false; problems: string[] };

/** Reads the process's settings; every invalid one is named, none is guessed. */
export function readSandboxEnvironment(
  env: NodeJS.ProcessEnv,
  args: string[],
): SandboxEnvironment {
  let flags: Record<string, string | boolean | string[] | undefined>;
  try {
    flags = parseArgs({
      args,
      allowNegative: true,
      options: {
        ...Object.fromEntries(
          SANDBOX_SETTINGS.map(({ flag, kind }) => [
            flag,
            { type: kind === 'switch' ? 'boolean' : 'string' },
          ]),
        ),
        provider: { type: 'string', multiple: true },
      },
    }).values;
  } catch (error) {
    return { ok: false, problems: [(error as Error).message] };
  }
  const options: Record<string, unknown> = { ...PROCESS_DEFAULTS };
  const problems: string[] = [];
  for (const { env: name, flag, option, kind } of SANDBOX_SETTINGS) {
    const fromFlag = flags[flag];
    if (typeof fromFlag === 'boolean') {
      options[option] = fromFlag;
      continue;
    }
    const raw = (fromFlag as string | undefined) ?? env[name];
    if (raw === undefined || raw === '') continue;
    const value = convert(kind, raw);
    if (value === undefined)
      problems.push(
        `${fromFlag === undefined ? name : `--${flag}`} must be ${EXPECTED[kind]} (got "${raw}")`,
      );
    else options[option] = value;
  }
  const providers = readProviders(
    env,
    (flags.provider as string[] | undefined) ?? [],
    problems,
  );
  if (Object.keys(providers).length) options.providers = providers;
  return problems.length
    ? { ok: false, problems }
    : { ok: true, options: options as SandboxOptions };
}
