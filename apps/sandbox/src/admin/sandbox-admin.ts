import { BadRequestException, Inject, Injectable } from '@nestjs/common';
import {
  ChatRequestLog,
  type ChatRequestRecord,
} from '../chat/chat-request-log.js';
import { TokenIssuer } from '../issuer/token-issuer.js';
import {
  providerProblems,
  type ProviderChanges,
} from '../providers/provider-settings.js';
import { Providers, type ProviderView } from '../providers/providers.js';
import { SandboxSettings, type SandboxSwitches } from '../settings.js';
import {
  SandboxStats,
  type CallbackCounters,
  type ChatCounters,
  type EmbeddingCounters,
  type ProviderCounters,
  type RouteTraffic,
  type TaskCounters,
  type WikidataCounters,
} from '../stats.js';
import {
  CallbackDispatcher,
  type CallbackFailure,
} from '../tasks/callback-dispatcher.js';
import {
  TASK_STATES,
  type TaskDocument,
  type TaskState,
  type WellFormedTask,
} from '../tasks/task.js';
import { parseNewTask } from '../tasks/task-bodies.js';
import { isVerificationType } from '../tasks/task-types.js';
import {
  TaskRepository,
  type PatchRecord,
  type TaskRecord,
} from '../tasks/task-repository.js';
import {
  TaskSeeder,
  type SampleTaskOptions,
  type SeedOptions,
} from '../tasks/task-seeder.js';
import { TasksService } from '../tasks/tasks.service.js';
import {
  Faults,
  type ChatFault,
  type ErrorFault,
  type FaultsView,
  type GarbageFault,
  type LagFault,
  type LatencyFault,
} from '../traffic/faults.js';
import type { RouteName } from '../traffic/routes.js';
import { Throttle } from '../traffic/throttle.js';

export interface PickupLatency {
  /** Tasks claimed at least once. */
  count: number;
  /** From `createdAt` to the first successful claim, in milliseconds. */
  p50Ms: number;
  p95Ms: number;
  maxMs: number;
}

export interface StatsSnapshot extends TaskCounters {
  tasks: Record<TaskState, number> & { total: number };
  /** Calls of `GET /api/ai-tasks/pending`, whatever their answer. */
  pendingCalls: number;
  embeddings: EmbeddingCounters;
  /** `POST /v1/chat/completions` (docs/sandbox.md, "The chat endpoint"). */
  chat: ChatCounters;
  /** `GET /w/api.php` (docs/sandbox.md, "The Wikidata stand-in"). */
  wikidata: WikidataCounters;
  /** Embeddings and chat requests by provider (docs/sandbox.md, "Providers and rate limits"). */
  providers: Record<string, ProviderCounters>;
  requests: Record<RouteName, RouteTraffic>;
  pickup: PickupLatency | null;
  /** Dispatches to callbacks (`callbacks`). */
  callbacks: CallbackCounters;
  /** 429s answered by the throttle. */
  throttled: number;
  /** 404s of the tasks API answered as 302 to /404 (`redirectNotFound`). */
  redirects: number;
}

/** What the admin views add to a task's document. */
export interface TaskHistory {
  /** The last PATCHes received for the task (at most 100), oldest first, with the status answered. */
  patches: PatchRecord[];
  /** How many times its result was dispatched to its callback, failed dispatches included. */
  callbackDispatches: number;
}

/**
 * A task as the admin views show it: the stored document, with the `result`
 * and `error` last received (stored or not), and its history. In process the
 * history fields are not enumerable, so that a view still equals the API's
 * document; its JSON (the admin routes) carries them as ordinary fields.
 */
export type TaskView = TaskDocument & TaskHistory;

function viewOf(record: TaskRecord): TaskView {
  const view: TaskDocument = { ...record.doc, ...record.reports };
  const history: TaskHistory = {
    patches: record.patches ? [...record.patches] : [],
    callbackDispatches: record.callbackDispatches,
  };
  return Object.defineProperties(view, {
    patches: { value: history.patches },
    callbackDispatches: { value: history.callbackDispatches },
    toJSON: { value: () => ({ ...view, ...history }) },
  }) as TaskView;
}

/** One task's history, in epoch milliseconds. */
export interface TaskTiming {
  id: unknown;
  type: unknown;
  state: TaskState;
  createdAtMs: number;
  firstClaimedAtMs: number | null;
  lastClaimedAtMs: number | null;
  completedAtMs: number | null;
  claims: number;
  completions: number;
}

/**
 * A task body for `createTask`: any field left out is filled with a
 * realistic one. For a verification type, `model` is the chat model.
 */
export type TaskDraft = Omit<SampleTaskOptions, 'type' | 'chatModel'> & {
  type?: string;
  content?: unknown;
  callbackRoute?: string;
  callbackParams?: Record<string, unknown>;
};

function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)];
}

/** Everything tests, benchmarks and demos do to a sandbox, in process or over /admin. */
@Injectable()
export class SandboxAdmin {
  constructor(
    @Inject(TasksService) private readonly tasks: TasksService,
    @Inject(TaskRepository) private readonly repository: TaskRepository,
    @Inject(TaskSeeder) private readonly seeder: TaskSeeder,
    @Inject(SandboxStats) private readonly counters: SandboxStats,
    @Inject(Faults) private readonly faults: Faults,
    @Inject(TokenIssuer) private readonly issuer: TokenIssuer,
    @Inject(SandboxSettings) private readonly settings: SandboxSettings,
    @Inject(CallbackDispatcher)
    private readonly callbacks: CallbackDispatcher,
    @Inject(Throttle) private readonly throttle: Throttle,
    @Inject(ChatRequestLog) private readonly chatLog: ChatRequestLog,
    @Inject(Providers) private readonly providerSet: Providers,
  ) {}

  stats(): StatsSnapshot {
    const byState = Object.fromEntries(
      TASK_STATES.map((state) => [state, this.repository.count(state)]),
    ) as Record<TaskState, number>;
    const requests = this.counters.requests();
    return {
      tasks: { total: this.repository.size(), ...byState },
      ...this.counters.tasks(),
      pendingCalls: requests.pending.total,
      embeddings: this.counters.embeddingCounters(),
      chat: this.counters.chatCounters(),
      wikidata: this.counters.wikidataCounters(),
      providers: this.counters.providerCounters(),
      requests,
      pickup: this.pickup(),
      ...this.counters.referenceCounters(),
    };
  }

  seed(count: number, options?: SeedOptions): WellFormedTask[] {
    return this.seeder.seed(count, options);
  }

  /** Creates a task through the API's own validation, as `POST /api/ai-tasks` would. */
  createTask(draft: TaskDraft = {}): TaskDocument {
    const { text, model, dimensions, legacy, ...fields } = draft;
    const sample = isVerificationType(fields.type)
      ? this.seeder.sample({ type: fields.type, text, chatModel: model })
      : this.seeder.sample({ text, model, dimensions, legacy });
    const given = Object.entries(fields).filter(([, v]) => v !== undefined);
    return this.tasks.create(
      parseNewTask({ ...sample, ...Object.fromEntries(given) }),
    );
  }

  /** Stores documents as given, malformed ones included. */
  insertTasks(
    documents: Record<string, unknown>[],
    generateIds = true,
  ): TaskDocument[] {
    return documents.map((doc) => this.tasks.insertAsIs(doc, generateIds));
  }

  task(id: string): TaskView | undefined {
    const record = this.repository.find(id);
    return record && viewOf(record);
  }

  list(state?: TaskState): TaskView[] {
    return this.repository.list(state).map(viewOf);
  }

  /** Removes a task (a deletion by another client of the API); false when there is none. */
  deleteTask(id: string): boolean {
    return this.tasks.delete(id);
  }

  /** The next `count` callback dispatches of task `id` fail with `status` (500 by default). */
  failCallbacks(id: string, failure: CallbackFailure): void {
    this.tasks.failCallbacks(id, failure);
  }

  timings(): TaskTiming[] {
    return this.repository.list().map((record) => ({
      id: record.doc._id,
      type: record.doc.type,
      state: record.doc.state,
      createdAtMs: record.createdAtMs,
      firstClaimedAtMs: record.firstClaimedAtMs ?? null,
      lastClaimedAtMs: record.lastClaimedAtMs ?? null,
      completedAtMs: record.completedAtMs ?? null,
      claims: record.claims,
      completions: record.completions,
    }));
  }

  addLatency(fault: LatencyFault): FaultsView {
    this.faults.addLatency(fault);
    return this.faults.view();
  }

  addError(fault: ErrorFault): FaultsView {
    this.faults.addError(fault);
    return this.faults.view();
  }

  addGarbage(fault: GarbageFault = {}): FaultsView {
    this.faults.addGarbage(fault);
    return this.faults.view();
  }

  /** The next `count` chat completions (all until reset without it) show `kind`. */
  addChatFault(fault: ChatFault): FaultsView {
    this.faults.addChatFault(fault);
    return this.faults.view();
  }

  /** Wikidata reports `seconds` of replication lag to requests carrying a lower `maxlag`. */
  addLag(fault: LagFault): FaultsView {
    this.faults.addLag(fault);
    return this.faults.view();
  }

  /** The last chat requests received (at most 100), oldest first. */
  chatRequests(): ChatRequestRecord[] {
    return this.chatLog.list();
  }

  activeFaults(): FaultsView {
    return this.faults.view();
  }

  resetFaults(): void {
    this.faults.reset();
  }

  /** Revokes every issued token; answers how many were still valid. */
  revokeAllTokens(): number {
    return this.issuer.revokeAll();
  }

  switches(): SandboxSwitches {
    return this.settings.switches();
  }

  updateSwitches(changes: Partial<SandboxSwitches>): SandboxSwitches {
    return this.settings.update(changes);
  }

  /** `openai` and every configured provider: key rule, limits and buckets. */
  providers(): Record<string, ProviderView> {
    return this.providerSet.list();
  }

  /** One provider, configured or not; 400 for an invalid name. */
  provider(name: string): ProviderView {
    const problems = providerProblems(name, {});
    if (problems.length) throw new BadRequestException(problems);
    return this.providerSet.view(name);
  }

  /** Changes a provider's key rule or limits; new limits start with full buckets. */
  configureProvider(name: string, changes: ProviderChanges): ProviderView {
    return this.providerSet.configure(name, changes);
  }

  /** The clock of the providers' buckets (`performance.now()` without one). */
  useProviderClock(now?: () => number): void {
    this.providerSet.useClock(now);
  }

  /**
   * Empties the store, the stats, the faults, the injected callback failures,
   * the throttle's windows, the providers' buckets (full again; their limits
   * stay) and the chat requests kept; settings and tokens stay.
   */
  reset(): void {
    this.repository.clear();
    this.counters.reset();
    this.chatLog.reset();
    this.faults.reset();
    this.callbacks.reset();
    this.throttle.reset();
    this.providerSet.reset();
  }

  private pickup(): PickupLatency | null {
    const waits: number[] = [];
    for (const record of this.repository.all())
      if (record.firstClaimedAtMs !== undefined)
        waits.push(record.firstClaimedAtMs - record.createdAtMs);
    if (!waits.length) return null;
    waits.sort((a, b) => a - b);
    return {
      count: waits.length,
      p50Ms: percentile(waits, 50),
      p95Ms: percentile(waits, 95),
      maxMs: waits[waits.length - 1],
    };
  }
}
