import { existsSync, readFileSync } from 'node:fs';
import { originAndPath, urlProblems } from './service-url.js';

/** An OpenAI-compatible server the service may send a model's requests to. */
export interface ProviderSettings {
  /** Lower-case: `openai`, or `<name>` of `PROVIDER_<NAME>_BASE_URL`. */
  name: string;
  /** Origin and path only, no trailing slash. */
  baseUrl: string;
  /** Unset for servers that take none (Ollama, vLLM). */
  apiKey: string | undefined;
  /** Requests a minute to pace by; learned from the answers when unset. */
  rpm: number | undefined;
  /** Tokens a minute to pace by; learned from the answers when unset. */
  tpm: number | undefined;
}

/** `pattern=provider` of `MODEL_ROUTES`: first match wins, `*` any run of characters. */
export interface ModelRoute {
  pattern: string;
  provider: string;
}

export const BUDGET_PERIODS = [
  'minute',
  'hour',
  'day',
  'week',
  'month',
] as const;
export type BudgetPeriod = (typeof BUDGET_PERIODS)[number];
export type BudgetUnit = 'tokens' | 'usd';

/**
 * `BUDGET_<PERIOD>_<UNIT>`, or an entry of `BUDGET_FILE`: at most `limit`
 * tokens or US dollars a calendar period (UTC), for the requests in its
 * scope: all of them, or only a provider's, or only the models a pattern
 * matches, or both.
 */
export interface BudgetLimit {
  period: BudgetPeriod;
  unit: BudgetUnit;
  limit: number;
  /** Only requests sent to this provider (a configured name); unset: every provider. */
  provider?: string;
  /** Only requests for models this pattern matches (`*` any run of characters); unset: every model. */
  model?: string;
}

export type BudgetStore =
  { kind: 'sqlite'; path: string } | { kind: 'redis'; url: string };

export interface ProvidersAndBudgets {
  /** `openai` first (when it has a key), then the named ones in name order. */
  providers: ProviderSettings[];
  routes: ModelRoute[];
  budgets: BudgetLimit[];
  pricesFile: string | undefined;
  store: BudgetStore;
}

const PROVIDER_VARIABLE = /^PROVIDER_([A-Z0-9_]+?)_(BASE_URL|API_KEY|RPM|TPM)$/;
const NAME = /^[A-Z0-9_]+$/;
const DEFAULT_STORE = 'sqlite:./data/budgets.sqlite';

const withoutTrailingSlash = (url: string): string => url.replace(/\/+$/, '');

const positive = (
  variable: string,
  value: string | undefined,
  problems: string[],
  { integer }: { integer: boolean },
): number | undefined => {
  if (value === undefined) return undefined;
  const number = Number(value);
  const valid = integer
    ? /^\d+$/.test(value) && number > 0
    : /^\d+(\.\d+)?$/.test(value) && number > 0;
  if (!valid) {
    problems.push(
      `${variable} must be a positive ${integer ? 'integer' : 'number'} (got "${value}")`,
    );
    return undefined;
  }
  return number;
};

/** The named providers of `PROVIDER_<NAME>_*`, one line per problem. */
function namedProviders(
  env: Readonly<Record<string, string | undefined>>,
  requireHttps: boolean,
  problems: string[],
): ProviderSettings[] {
  const names = new Set<string>();
  for (const variable of Object.keys(env)) {
    if (!variable.startsWith('PROVIDER_')) continue;
    const match = PROVIDER_VARIABLE.exec(variable);
    if (!match || !NAME.test(match[1])) {
      problems.push(
        `${variable} is not a setting: PROVIDER_<NAME>_ takes BASE_URL, API_KEY, RPM or TPM (NAME: A-Z, 0-9, _)`,
      );
      continue;
    }
    names.add(match[1]);
  }
  const providers: ProviderSettings[] = [];
  for (const name of [...names].sort()) {
    const prefix = `PROVIDER_${name}`;
    if (name === 'OPENAI' || name === 'MOCK') {
      problems.push(
        `${prefix}_* is reserved: openai is set with OPENAI_BASE_URL and OPENAI_API_KEY, and mock needs no settings`,
      );
      continue;
    }
    const baseUrl = env[`${prefix}_BASE_URL`];
    if (baseUrl === undefined) {
      problems.push(
        `${prefix}_BASE_URL is required for the provider ${name.toLowerCase()}`,
      );
      continue;
    }
    const urlIssues = urlProblems(baseUrl, { requireHttps });
    if (urlIssues.length > 0) {
      problems.push(`${prefix}_BASE_URL ${urlIssues.join(' and ')}`);
      continue;
    }
    providers.push({
      name: name.toLowerCase(),
      baseUrl: withoutTrailingSlash(originAndPath(baseUrl)),
      apiKey: env[`${prefix}_API_KEY`],
      rpm: positive(`${prefix}_RPM`, env[`${prefix}_RPM`], problems, {
        integer: true,
      }),
      tpm: positive(`${prefix}_TPM`, env[`${prefix}_TPM`], problems, {
        integer: true,
      }),
    });
  }
  return providers;
}

function modelRoutes(
  value: string | undefined,
  known: ReadonlySet<string>,
  problems: string[],
): ModelRoute[] {
  if (value === undefined) return [];
  const routes: ModelRoute[] = [];
  for (const entry of value.split(',').map((part) => part.trim())) {
    const [pattern, provider, ...rest] = entry
      .split('=')
      .map((part) => part.trim());
    if (!pattern || !provider || rest.length > 0) {
      problems.push(
        `MODEL_ROUTES must be comma-separated pattern=provider pairs, e.g. "dengcao/*=ollama,*=openai" (got "${entry}")`,
      );
      continue;
    }
    if (!known.has(provider)) {
      problems.push(
        `MODEL_ROUTES routes "${pattern}" to ${provider}, which is not a provider: ${[...known].join(', ')} (PROVIDER_<NAME>_BASE_URL adds one)`,
      );
      continue;
    }
    routes.push({ pattern, provider });
  }
  return routes;
}

function budgetLimits(
  env: Readonly<Record<string, string | undefined>>,
  problems: string[],
): BudgetLimit[] {
  return BUDGET_PERIODS.flatMap((period) =>
    (['tokens', 'usd'] as const).flatMap((unit) => {
      const variable = `BUDGET_${period.toUpperCase()}_${unit.toUpperCase()}`;
      const limit = positive(variable, env[variable], problems, {
        integer: unit === 'tokens',
      });
      return limit === undefined ? [] : [{ period, unit, limit }];
    }),
  );
}

const BUDGET_ENTRY_KEYS = new Set([
  'period',
  'tokens',
  'usd',
  'provider',
  'model',
]);
const MAX_PATTERN_LENGTH = 200;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** What makes two budgets share a counter: the same period, unit and scope. */
const budgetIdentity = ({ period, unit, provider, model }: BudgetLimit) =>
  JSON.stringify([period, unit, provider ?? null, model ?? null]);

/**
 * One entry of `BUDGET_FILE`, or `undefined` with its problems (one line
 * each, `BUDGET_FILE budgets[<index>]: ...`) in `problems`.
 */
function budgetEntry(
  entry: unknown,
  at: string,
  known: ReadonlySet<string>,
  problems: string[],
): BudgetLimit | undefined {
  if (!isRecord(entry)) {
    problems.push(`${at} must be an object with period and tokens or usd`);
    return undefined;
  }
  const before = problems.length;
  const unknownKeys = Object.keys(entry).filter(
    (key) => !BUDGET_ENTRY_KEYS.has(key),
  );
  if (unknownKeys.length > 0) {
    problems.push(
      `${at} has unknown keys ${unknownKeys.join(', ')} (it takes period, tokens or usd, provider, model)`,
    );
  }
  const { period, tokens, usd, provider, model } = entry;
  if (!BUDGET_PERIODS.includes(period as BudgetPeriod)) {
    problems.push(
      `${at}: period must be one of ${BUDGET_PERIODS.join(', ')} (got ${JSON.stringify(period) ?? 'none'})`,
    );
  }
  let unit: BudgetUnit | undefined;
  let limit: number | undefined;
  if (tokens !== undefined && usd !== undefined) {
    problems.push(`${at} has both tokens and usd: one budget counts one unit`);
  } else if (tokens === undefined && usd === undefined) {
    problems.push(`${at} needs tokens or usd`);
  } else if (tokens !== undefined) {
    if (
      typeof tokens === 'number' &&
      Number.isSafeInteger(tokens) &&
      tokens > 0
    ) {
      [unit, limit] = ['tokens', tokens];
    } else {
      problems.push(
        `${at}: tokens must be a positive integer (got ${JSON.stringify(tokens)})`,
      );
    }
  } else if (typeof usd === 'number' && Number.isFinite(usd) && usd > 0) {
    [unit, limit] = ['usd', usd];
  } else {
    problems.push(
      `${at}: usd must be a positive number (got ${JSON.stringify(usd)})`,
    );
  }
  if (provider !== undefined && !known.has(provider as string)) {
    problems.push(
      `${at}: provider ${JSON.stringify(provider)} is not a provider: ${[...known].join(', ')} (PROVIDER_<NAME>_BASE_URL adds one)`,
    );
  }
  if (
    model !== undefined &&
    (typeof model !== 'string' ||
      !/^\S+$/.test(model) ||
      model.length > MAX_PATTERN_LENGTH)
  ) {
    problems.push(
      `${at}: model must be a model name or pattern (* any characters), without spaces, at most ${MAX_PATTERN_LENGTH} characters (got ${JSON.stringify(model)})`,
    );
  }
  if (problems.length > before || unit === undefined || limit === undefined) {
    return undefined;
  }
  return {
    period: period as BudgetPeriod,
    unit,
    limit,
    ...(provider === undefined ? {} : { provider: provider as string }),
    ...(model === undefined ? {} : { model: model as string }),
  };
}

/** An entry of `BUDGET_FILE` and where it is: `BUDGET_FILE budgets[<index>]`. */
interface FileBudget {
  at: string;
  limit: BudgetLimit;
}

/**
 * `BUDGET_FILE`: `{"budgets": [{"period": "day", "tokens": 200000,
 * "provider": "openai"}, ...]}`, budgets added to those of the environment.
 */
function budgetFile(
  path: string | undefined,
  known: ReadonlySet<string>,
  problems: string[],
): FileBudget[] {
  if (path === undefined) return [];
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    problems.push(`BUDGET_FILE names no file that can be read (got "${path}")`);
    return [];
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    problems.push(
      `BUDGET_FILE is not JSON (${path}): ${(error as Error).message}`,
    );
    return [];
  }
  if (
    !isRecord(parsed) ||
    !Array.isArray(parsed.budgets) ||
    Object.keys(parsed).length !== 1
  ) {
    problems.push(
      `BUDGET_FILE must hold {"budgets": [...]} and nothing else (${path})`,
    );
    return [];
  }
  return parsed.budgets.flatMap((entry: unknown, index) => {
    const at = `BUDGET_FILE budgets[${index}]`;
    const limit = budgetEntry(entry, at, known, problems);
    return limit ? [{ at, limit }] : [];
  });
}

/** The environment's budgets, then the file's; two that would share a counter are a problem. */
function allBudgets(
  env: Readonly<Record<string, string | undefined>>,
  known: ReadonlySet<string>,
  problems: string[],
): BudgetLimit[] {
  const budgets = budgetLimits(env, problems);
  const seen = new Map<string, string>(
    budgets.map((limit) => [
      budgetIdentity(limit),
      `BUDGET_${limit.period.toUpperCase()}_${limit.unit.toUpperCase()}`,
    ]),
  );
  for (const { at, limit } of budgetFile(env.BUDGET_FILE, known, problems)) {
    const first = seen.get(budgetIdentity(limit));
    if (first !== undefined) {
      problems.push(
        `${at} has the same period, unit, provider and model as ${first}: one budget each`,
      );
      continue;
    }
    seen.set(budgetIdentity(limit), at);
    budgets.push(limit);
  }
  return budgets;
}

function budgetStore(
  env: Readonly<Record<string, string | undefined>>,
  problems: string[],
): BudgetStore {
  const value = env.BUDGET_STORE ?? DEFAULT_STORE;
  if (value === 'redis') {
    const url = env.REDIS_URL;
    if (url === undefined) {
      problems.push('REDIS_URL is required when BUDGET_STORE is redis');
    } else if (!/^rediss?:\/\/[^\s]+$/.test(url)) {
      // The URL may hold a password: never echoed.
      problems.push('REDIS_URL must be a redis:// or rediss:// URL');
    }
    return { kind: 'redis', url: url ?? '' };
  }
  if (value.startsWith('sqlite:') && value.length > 'sqlite:'.length) {
    return { kind: 'sqlite', path: value.slice('sqlite:'.length) };
  }
  problems.push(`BUDGET_STORE must be sqlite:<path> or redis (got "${value}")`);
  return { kind: 'sqlite', path: '' };
}

/**
 * The providers, model routes and budgets of docs/contract.md §4, read from
 * the raw environment (their names are open-ended: `PROVIDER_<NAME>_*`),
 * every problem one line in `problems`.
 */
export function readProvidersAndBudgets(
  env: Readonly<Record<string, string | undefined>>,
  openai: ProviderSettings | undefined,
  requireHttps: boolean,
  problems: string[],
): ProvidersAndBudgets {
  const named = namedProviders(env, requireHttps, problems);
  const providers = openai ? [openai, ...named] : named;
  const known = new Set(['openai', ...named.map(({ name }) => name)]);
  const pricesFile = env.BUDGET_PRICES_FILE;
  if (pricesFile !== undefined && !existsSync(pricesFile)) {
    problems.push(`BUDGET_PRICES_FILE names no file (got "${pricesFile}")`);
  }
  return {
    providers,
    routes: modelRoutes(env.MODEL_ROUTES, known, problems),
    budgets: allBudgets(env, known, problems),
    pricesFile,
    store: budgetStore(env, problems),
  };
}

/**
 * Whether `name` matches `pattern`, where `*` stands for any run of
 * characters and everything else for itself, over the whole name (the
 * patterns of `MODEL_ROUTES` and `BUDGET_FILE`). Names come from tasks: a
 * greedy match with one backtracking point takes at most
 * name × pattern steps, never the exponential time a regular expression of
 * several `*` can take on a hostile name.
 */
export function matchesModelPattern(pattern: string, name: string): boolean {
  let p = 0;
  let n = 0;
  let star = -1;
  let resumeAt = 0;
  while (n < name.length) {
    if (pattern[p] === '*') {
      star = p++;
      resumeAt = n;
    } else if (p < pattern.length && pattern[p] === name[n]) {
      p++;
      n++;
    } else if (star !== -1) {
      p = star + 1;
      n = ++resumeAt;
    } else {
      return false;
    }
  }
  while (pattern[p] === '*') p++;
  return p === pattern.length;
}
