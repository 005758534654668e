import { join, resolve } from 'node:path';
import type {
  StatsSnapshot,
  TaskDraft,
  TaskHistory,
  TaskTiming,
  TaskView,
} from '../../apps/sandbox/src/admin/sandbox-admin.js';
import {
  DEFAULT_CLIENT_SECRET,
  type ClientAuthMethod,
  type SandboxProfile,
  type SandboxSwitches,
} from '../../apps/sandbox/src/settings.js';
import type {
  CallbackCounters,
  ChatCounters,
  ProviderCounters,
  ReferenceCounters,
  WikidataCounters,
} from '../../apps/sandbox/src/stats.js';
import type {
  ProviderChanges,
  ProviderLimits,
  ProviderSettings,
} from '../../apps/sandbox/src/providers/provider-settings.js';
import type { ProviderView } from '../../apps/sandbox/src/providers/providers.js';
import type { ChatRequestRecord } from '../../apps/sandbox/src/chat/chat-request-log.js';
import type { CallbackFailure } from '../../apps/sandbox/src/tasks/callback-dispatcher.js';
import type { PatchRecord } from '../../apps/sandbox/src/tasks/task.js';
import type {
  TaskDocument,
  TaskState,
} from '../../apps/sandbox/src/tasks/task.js';
import type { SeedOptions } from '../../apps/sandbox/src/tasks/task-seeder.js';
import type {
  ChatFault,
  ErrorFault,
  FaultsView,
  GarbageFault,
  LagFault,
  LatencyFault,
} from '../../apps/sandbox/src/traffic/faults.js';
import { WIKIDATA_API_PATH } from '../../apps/sandbox/src/traffic/routes.js';
import {
  type Sandbox,
  type SandboxOptions,
  startSandbox,
} from '../../apps/sandbox/src/sandbox.js';
import { adminRequest } from './sandbox-http.js';
import { type RunningProcess, startProcess } from './service-process.js';

export { fetchToken, type TokenAnswer } from './sandbox-http.js';
export {
  startSandbox,
  type Sandbox,
  type SandboxOptions,
} from '../../apps/sandbox/src/sandbox.js';
export type {
  CallbackCounters,
  CallbackFailure,
  ChatCounters,
  ChatFault,
  ChatRequestRecord,
  LagFault,
  WikidataCounters,
  ClientAuthMethod,
  ErrorFault,
  FaultsView,
  GarbageFault,
  LatencyFault,
  PatchRecord,
  ProviderChanges,
  ProviderCounters,
  ProviderLimits,
  ProviderSettings,
  ProviderView,
  ReferenceCounters,
  SandboxProfile,
  SandboxSwitches,
  SeedOptions,
  StatsSnapshot,
  TaskDocument,
  TaskDraft,
  TaskHistory,
  TaskState,
  TaskTiming,
  TaskView,
};

const ROOT = resolve(import.meta.dirname, '../..');
export const SANDBOX_ENTRY = join(ROOT, 'dist/apps/sandbox/main.js');

/**
 * The sandbox as the real tasks API behaves (docs/sandbox.md, "The reference
 * profile"): callbacks after save, 404 as a 302, the strict issuer, the
 * 100 kB body limit, only `state` stored. End-to-end tests that run the
 * service against the sandbox use it unless they are about the switches
 * themselves (test/sandbox-*.e2e-spec.ts).
 *
 * The throttle stays on, with the real server's headers and behaviour (the
 * service still paces itself by them), but is raised from the real
 * 1,000 requests per 60 s, so that tests not about throttling are not paced
 * to about 7 tasks/s (a claim and a completion per task).
 * test/reference-server.e2e-spec.ts tests the throttle at a real limit.
 */
export const REFERENCE = {
  profile: 'reference',
  throttleLimit: 1_000_000,
} as const satisfies SandboxOptions;

/** startSandbox with REFERENCE; the caller's options win over it. */
export function startReferenceSandbox(
  options: SandboxOptions = {},
): Promise<Sandbox> {
  return startSandbox({ ...REFERENCE, ...options });
}

/** The sandbox's `/admin` routes, for a sandbox running in another process. */
export class SandboxAdminClient {
  constructor(readonly url: string) {}

  stats(): Promise<StatsSnapshot> {
    return this.call('GET', '/admin/stats');
  }

  seed(
    count: number,
    options: SeedOptions = {},
  ): Promise<{ created: number; ids: string[] }> {
    return this.call('POST', '/admin/seed', { count, ...options });
  }

  createTask(draft: TaskDraft = {}): Promise<TaskDocument> {
    return this.call('POST', '/admin/create-task', draft);
  }

  insertTasks(
    tasks: Record<string, unknown>[],
    generateIds = true,
  ): Promise<TaskDocument[]> {
    return this.call('POST', '/admin/tasks', { tasks, generateIds });
  }

  /** Over HTTP the history fields (`patches`, `callbackDispatches`) are ordinary fields. */
  tasks(state?: TaskState): Promise<TaskView[]> {
    return this.call('GET', `/admin/tasks${state ? `?state=${state}` : ''}`);
  }

  task(id: string): Promise<TaskView> {
    return this.call('GET', `/admin/tasks/${encodeURIComponent(id)}`);
  }

  /** Removes a task, as if another client of the API had deleted it; false when there is none. */
  async deleteTask(id: string): Promise<boolean> {
    const { deleted } = await this.call<{ deleted: boolean }>(
      'DELETE',
      `/admin/tasks/${encodeURIComponent(id)}`,
    );
    return deleted;
  }

  /** The next `count` callback dispatches of task `id` fail with `status` (500 by default). */
  failCallbacks(id: string, failure: CallbackFailure): Promise<void> {
    return this.call(
      'POST',
      `/admin/tasks/${encodeURIComponent(id)}/callback-failures`,
      failure,
    );
  }

  timings(): Promise<TaskTiming[]> {
    return this.call('GET', '/admin/timings');
  }

  readonly faults = {
    latency: (fault: LatencyFault): Promise<FaultsView> =>
      this.call('POST', '/admin/faults/latency', fault),
    error: (fault: ErrorFault): Promise<FaultsView> =>
      this.call('POST', '/admin/faults/error', fault),
    garbage: (fault: GarbageFault = {}): Promise<FaultsView> =>
      this.call('POST', '/admin/faults/garbage', fault),
    chat: (fault: ChatFault): Promise<FaultsView> =>
      this.call('POST', '/admin/faults/chat', fault),
    wikidataLag: (fault: LagFault): Promise<FaultsView> =>
      this.call('POST', '/admin/faults/wikidata-lag', fault),
    active: (): Promise<FaultsView> => this.call('GET', '/admin/faults'),
    reset: (): Promise<void> => this.call('DELETE', '/admin/faults'),
  };

  /** The last chat requests received (at most 100), oldest first. */
  chatRequests(): Promise<ChatRequestRecord[]> {
    return this.call('GET', '/admin/chat/requests');
  }

  /** The providers' key rules and rate limits (docs/sandbox.md, "Providers and rate limits"). */
  readonly providers = {
    /** Sets a provider's rate limits (`null` or 0 turns one off); its buckets start full. */
    limit: (name: string, limits: ProviderLimits): Promise<ProviderView> =>
      this.call(
        'POST',
        `/admin/providers/${encodeURIComponent(name)}/limits`,
        limits,
      ),
    /** Sets a provider's key rule (`none`: no key; `null`: the default rule) and limits. */
    configure: (
      name: string,
      changes: ProviderChanges,
    ): Promise<ProviderView> =>
      this.call(
        'PATCH',
        `/admin/providers/${encodeURIComponent(name)}`,
        changes,
      ),
    /** `openai` and every configured provider. */
    list: (): Promise<Record<string, ProviderView>> =>
      this.call('GET', '/admin/providers'),
    get: (name: string): Promise<ProviderView> =>
      this.call('GET', `/admin/providers/${encodeURIComponent(name)}`),
  };

  async revokeAllTokens(): Promise<number> {
    const { revoked } = await this.call<{ revoked: number }>(
      'POST',
      '/admin/tokens/revoke',
    );
    return revoked;
  }

  switches(): Promise<SandboxSwitches> {
    return this.call('GET', '/admin/settings');
  }

  updateSwitches(changes: Partial<SandboxSwitches>): Promise<SandboxSwitches> {
    return this.call('PATCH', '/admin/settings', changes);
  }

  reset(): Promise<void> {
    return this.call('POST', '/admin/reset');
  }

  private call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return adminRequest(this.url, method, path, body);
  }
}

function clientSecretOf(env: Record<string, string>, args: string[]): string {
  const flag = args.findIndex((arg) => arg.startsWith('--client-secret'));
  if (flag >= 0)
    return args[flag].includes('=')
      ? args[flag].slice(args[flag].indexOf('=') + 1)
      : args[flag + 1];
  return env.SANDBOX_CLIENT_SECRET || DEFAULT_CLIENT_SECRET;
}

/** The built sandbox in its own process, ready once it listens. */
export interface SandboxProcess {
  process: RunningProcess;
  url: string;
  port: number;
  tokenUrl: string;
  embeddingsUrl: string;
  /** `${url}/w/api.php`: the Wikidata stand-in. */
  wikidataUrl: string;
  clientId: string;
  clientSecret: string;
  admin: SandboxAdminClient;
  stop(): ReturnType<RunningProcess['stop']>;
}

/**
 * Starts `dist/apps/sandbox/main.js` (run `npm run build` first) on a free
 * port with the given `SANDBOX_*` environment and flags.
 */
export async function startSandboxProcess(
  env: Record<string, string> = {},
  args: string[] = [],
): Promise<SandboxProcess> {
  const running = startProcess(
    SANDBOX_ENTRY,
    { SANDBOX_PORT: '0', ...env },
    args,
  );
  const listening = await running.waitForLog(
    (record) => record.msg === 'sandbox listening',
  );
  const url = String(listening.url);
  return {
    process: running,
    url,
    port: Number(listening.port),
    tokenUrl: String(listening.tokenUrl),
    embeddingsUrl: String(listening.embeddingsUrl),
    wikidataUrl: `${url}${WIKIDATA_API_PATH}`,
    clientId: String(listening.clientId),
    clientSecret: clientSecretOf(env, args),
    admin: new SandboxAdminClient(url),
    stop: () => running.stop(),
  };
}

export interface HttpAnswer<T = unknown> {
  status: number;
  headers: Headers;
  /** The parsed JSON body, or the text when it is not JSON. */
  body: T;
}

/** One HTTP call with an optional bearer token and JSON body; the answer is read whole. */
export async function call<T = unknown>(
  url: string,
  init: {
    method?: string;
    token?: string;
    body?: unknown;
    headers?: Record<string, string>;
  } = {},
): Promise<HttpAnswer<T>> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.token) headers.authorization = `Bearer ${init.token}`;
  if (init.body !== undefined) headers['content-type'] ??= 'application/json';
  const response = await fetch(url, {
    method: init.method ?? 'GET',
    headers,
    body:
      init.body === undefined || typeof init.body === 'string'
        ? (init.body as string | undefined)
        : JSON.stringify(init.body),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: the caller gets the text
  }
  return {
    status: response.status,
    headers: response.headers,
    body: body as T,
  };
}
