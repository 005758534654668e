import {
  adminRequest,
  fetchToken as fetchTokenAnswer,
} from '../../test/support/sandbox-http.ts';
import { type BenchProcess, SANDBOX_ENTRY, startProcess } from './processes.ts';

/** The parts of the sandbox's `GET /admin/stats` the bench reads (docs/sandbox.md). */
export interface SandboxStats {
  tasks: {
    total: number;
    pending: number;
    in_progress: number;
    succeeded: number;
    failed: number;
  };
  claims: number;
  claimConflicts: number;
  releases: number;
  completions: number;
  tasksCompletedMoreThanOnce: number;
  pendingCalls: number;
  embeddings: { requests: number; inputs: number; tokens: number };
  requests: Record<
    string,
    {
      total: number;
      byStatus: Record<string, number>;
      bytesIn: number;
      bytesOut: number;
    }
  >;
  pickup: { count: number; p50Ms: number; p95Ms: number; maxMs: number } | null;
  /** Results handed to callbacks (the reference profile), and those that failed. */
  callbacks: {
    dispatches: number;
    failures: number;
    tasksDispatchedMoreThanOnce: number;
  };
  /** 429s answered by the throttle (`throttleLimit` above 0). */
  throttled: number;
  /** Each AI provider's requests (docs/sandbox.md, "Providers and rate limits"). */
  providers: Record<
    string,
    {
      requests: number;
      throttled: number;
      tokens: number;
      byModel: Record<
        string,
        { total: number; byStatus: Record<string, number> }
      >;
    }
  >;
}

/** Routes of the tasks API, the ones the throttle counts (`/admin/stats` `requests`). */
export const TASKS_API_ROUTES = ['pending', 'list', 'patch', 'create'] as const;

/** One PATCH the sandbox received for a task, with the status it answered. */
export interface PatchRecord {
  state: string | null;
  status: number;
  /** When it arrived, epoch milliseconds. */
  atMs: number;
}

/** A task as `GET /admin/tasks` shows it: the parts the bench reads. */
export interface AdminTaskView {
  _id: string;
  state: string;
  /** The last 100 PATCHes received for the task, oldest first. */
  patches: PatchRecord[];
  callbackDispatches: number;
}

/** One task's history from `GET /admin/timings`, epoch milliseconds. */
export interface TaskTiming {
  id: string;
  state: string;
  createdAtMs: number;
  firstClaimedAtMs: number | null;
  lastClaimedAtMs: number | null;
  completedAtMs: number | null;
}

export interface SandboxSwitches {
  honourLimit: boolean;
  conflictOnClaim: boolean;
  embeddingsLatencyMs: number;
  tokenTtlSeconds: number;
  keepResults: boolean;
}

export const CLIENT_ID = 'ai-task-processor';
export const CLIENT_SECRET = 'sandbox-secret';

/** The sandbox in its own process, driven over its `/admin` routes. */
export class SandboxProcess {
  readonly process: BenchProcess;
  readonly url: string;

  constructor(process: BenchProcess, url: string) {
    this.process = process;
    this.url = url;
  }

  get tokenUrl(): string {
    return `${this.url}/oauth2/token`;
  }

  get embeddingsUrl(): string {
    return `${this.url}/v1`;
  }

  stats(): Promise<SandboxStats> {
    return this.call('GET', '/admin/stats');
  }

  switches(): Promise<SandboxSwitches> {
    return this.call('GET', '/admin/settings');
  }

  updateSwitches(changes: Partial<SandboxSwitches>): Promise<SandboxSwitches> {
    return this.call('PATCH', '/admin/settings', changes);
  }

  timings(): Promise<TaskTiming[]> {
    return this.call('GET', '/admin/timings');
  }

  /** Every task with its PATCH history (`GET /admin/tasks`). */
  tasks(): Promise<AdminTaskView[]> {
    return this.call('GET', '/admin/tasks');
  }

  /** Seeds `count` pending tasks in chunks (one answer lists every id), of `model` when given. */
  async seed(count: number, model?: string): Promise<string[]> {
    const ids: string[] = [];
    for (let left = count; left > 0; left -= SEED_CHUNK) {
      const answer = await this.call<{ ids: string[] }>('POST', '/admin/seed', {
        count: Math.min(SEED_CHUNK, left),
        ...(model === undefined ? {} : { model }),
      });
      ids.push(...answer.ids);
    }
    return ids;
  }

  /** The base URL of provider `name` (`/providers/<name>/v1`). */
  providerUrl(name: string): string {
    return `${this.url}/providers/${name}/v1`;
  }

  async createTask(): Promise<string> {
    const task = await this.call<{ _id: string }>(
      'POST',
      '/admin/create-task',
      {},
    );
    return task._id;
  }

  reset(): Promise<void> {
    return this.call('POST', '/admin/reset');
  }

  async stop(): Promise<void> {
    await this.process.stop();
  }

  private call<T>(method: string, path: string, body?: unknown): Promise<T> {
    return adminRequest(this.url, method, path, body);
  }
}

const SEED_CHUNK = 5_000;

/** Starts `dist/apps/sandbox/main.js` on a free loopback port with `SANDBOX_*` settings. */
export async function startSandbox(
  env: Record<string, string>,
): Promise<SandboxProcess> {
  const child = startProcess(SANDBOX_ENTRY, {
    SANDBOX_PORT: '0',
    SANDBOX_HOST: '127.0.0.1',
    ...env,
  });
  try {
    const listening = await child.waitForJson(
      (record) => record.msg === 'sandbox listening',
      30_000,
    );
    return new SandboxProcess(child, String(listening.url));
  } catch (error) {
    await child.stop();
    throw error;
  }
}

/** An access token from the sandbox's issuer (client credentials, client_secret_basic). */
export async function fetchToken(tokenUrl: string): Promise<string> {
  return (await fetchTokenAnswer(tokenUrl, CLIENT_ID, CLIENT_SECRET))
    .access_token;
}
