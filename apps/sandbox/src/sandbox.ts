import type { AddressInfo } from 'node:net';
import { ConsoleLogger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { ChatRequestRecord } from './chat/chat-request-log.js';
import {
  SandboxAdmin,
  type StatsSnapshot,
  type TaskDraft,
  type TaskTiming,
  type TaskView,
} from './admin/sandbox-admin.js';
import { ISSUER_PATH, TokenIssuer } from './issuer/token-issuer.js';
import {
  DEFAULT_PROVIDER,
  type ProviderChanges,
  type ProviderLimits,
} from './providers/provider-settings.js';
import type { ProviderView } from './providers/providers.js';
import { SandboxModule } from './sandbox.module.js';
import {
  SandboxSettings,
  type SandboxOptions,
  type SandboxSwitches,
} from './settings.js';
import { SandboxStats } from './stats.js';
import type { CallbackFailure } from './tasks/callback-dispatcher.js';
import { NotFoundRedirect } from './tasks/not-found.js';
import type { TaskDocument, TaskState, WellFormedTask } from './tasks/task.js';
import type { SeedOptions } from './tasks/task-seeder.js';
import type {
  ChatFault,
  ErrorFault,
  FaultsView,
  GarbageFault,
  LagFault,
  LatencyFault,
} from './traffic/faults.js';
import { JsonBodies } from './traffic/json-bodies.js';
import { WIKIDATA_API_PATH } from './traffic/routes.js';
import { Throttle } from './traffic/throttle.js';
import { TrafficMiddleware } from './traffic/traffic.middleware.js';

export type { SandboxOptions } from './settings.js';
export type {
  ProviderChanges,
  ProviderLimits,
  ProviderSettings,
} from './providers/provider-settings.js';
export type { ProviderView } from './providers/providers.js';

/** A running sandbox. Every control here is also an `/admin` route. */
export interface Sandbox {
  /** `http://127.0.0.1:PORT`: the tasks API base URL (`API_BASE_URL`). */
  readonly url: string;
  readonly port: number;
  /** `${url}/oauth2/token` (`OAUTH2_TOKEN_URL`). */
  readonly tokenUrl: string;
  /** `${url}/v1` (`OPENAI_BASE_URL`): embeddings and chat completions. */
  readonly embeddingsUrl: string;
  /** `${url}/w/api.php`: the Wikidata stand-in's action API. */
  readonly wikidataUrl: string;
  /** `${url}/providers/<name>/v1`: the base URL of provider `name` (`${url}/v1` for `openai`). */
  providerUrl(name: string): string;
  readonly clientId: string;
  readonly clientSecret: string;
  stats(): StatsSnapshot;
  seed(count: number, options?: SeedOptions): WellFormedTask[];
  createTask(draft?: TaskDraft): TaskDocument;
  insertTasks(
    documents: Record<string, unknown>[],
    generateIds?: boolean,
  ): TaskDocument[];
  /** A task with the `result` and `error` last received, and its history (see TaskView). */
  task(id: string): TaskView | undefined;
  tasks(state?: TaskState): TaskView[];
  /** Removes a task, as if another client of the API had deleted it; false when there is none. */
  deleteTask(id: string): boolean;
  /** The next `count` callback dispatches of task `taskId` fail with `status` (500 by default). */
  failCallbacks(taskId: string, failure: CallbackFailure): void;
  timings(): TaskTiming[];
  readonly faults: {
    latency(fault: LatencyFault): FaultsView;
    error(fault: ErrorFault): FaultsView;
    garbage(fault?: GarbageFault): FaultsView;
    /** The next `count` chat completions (all until reset without it) refuse, stop short or ignore the schema. */
    chat(fault: ChatFault): FaultsView;
    /** Wikidata reports `seconds` of replication lag to requests carrying a lower `maxlag`. */
    wikidataLag(fault: LagFault): FaultsView;
    active(): FaultsView;
    reset(): void;
  };
  /** The last chat requests received (at most 100), oldest first: what the service asked. */
  chatRequests(): ChatRequestRecord[];
  /**
   * The providers: `openai` at `/v1`, any other `<name>` at
   * `/providers/<name>/v1` (docs/sandbox.md, "Providers and rate limits").
   */
  readonly providers: {
    /** Sets a provider's rate limits (`null` or 0 turns one off); its buckets start full. */
    limit(name: string, limits: ProviderLimits): ProviderView;
    /** Sets a provider's key rule (`none`: no key; `null`: the default rule) and limits. */
    configure(name: string, changes: ProviderChanges): ProviderView;
    /** `openai` and every configured provider. */
    list(): Record<string, ProviderView>;
    /**
     * The buckets' clock in milliseconds (`performance.now()` without one),
     * so that a test moves time instead of waiting; every bucket starts full on it.
     */
    useClock(now?: () => number): void;
  };
  revokeAllTokens(): number;
  switches(): SandboxSwitches;
  updateSwitches(changes: Partial<SandboxSwitches>): SandboxSwitches;
  /** Empties tasks, stats, faults, injected callback failures, throttle windows and the providers' buckets. */
  reset(): void;
  close(): Promise<void>;
}

function baseUrl(host: string, port: number): string {
  const reachable = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
  return `http://${reachable.includes(':') ? `[${reachable}]` : reachable}:${port}`;
}

/** Starts a sandbox on one HTTP server; resolves once it listens. */
export async function startSandbox(
  options: SandboxOptions = {},
): Promise<Sandbox> {
  const settings = new SandboxSettings(options);
  const app = await NestFactory.create<NestExpressApplication>(
    SandboxModule.register(settings),
    {
      bodyParser: false,
      forceCloseConnections: true,
      logger: new ConsoleLogger({
        json: true,
        logLevels: options.logLevels ?? ['error', 'warn', 'fatal'],
      }),
    },
  );
  // Hashing every 8 MB /pending answer for an ETag would cost more than building it.
  app.set('etag', false);
  app.disable('x-powered-by');
  // Order matters: traffic control sees every request; the issuer reads its
  // own bodies; the throttle stands where the real server's global guard
  // does, after the body parser and before the bearer-token guard.
  app.use(app.get(TrafficMiddleware).handle);
  app.use(ISSUER_PATH, app.get(TokenIssuer).handle);
  app.use(app.get(JsonBodies).handle);
  app.use(app.get(Throttle).handle);
  app.useGlobalFilters(
    new NotFoundRedirect(settings, app.get(SandboxStats), app.getHttpAdapter()),
  );
  await app.listen(settings.port, settings.host);
  const { port } = app.getHttpServer().address() as AddressInfo;
  const url = baseUrl(settings.host, port);
  app.get(TokenIssuer).start(url);
  const admin = app.get(SandboxAdmin);
  if (settings.seed > 0)
    admin.seed(settings.seed, {
      legacy: settings.seedLegacy,
      ...(settings.seedTypes ? { types: settings.seedTypes } : {}),
    });

  return {
    url,
    port,
    tokenUrl: `${url}${ISSUER_PATH}/token`,
    embeddingsUrl: `${url}/v1`,
    wikidataUrl: `${url}${WIKIDATA_API_PATH}`,
    providerUrl: (name) =>
      name === DEFAULT_PROVIDER ? `${url}/v1` : `${url}/providers/${name}/v1`,
    clientId: settings.clientId,
    clientSecret: settings.clientSecret,
    stats: () => admin.stats(),
    seed: (count, seedOptions) => admin.seed(count, seedOptions),
    createTask: (draft) => admin.createTask(draft),
    insertTasks: (documents, generateIds) =>
      admin.insertTasks(documents, generateIds),
    task: (id) => admin.task(id),
    tasks: (state) => admin.list(state),
    deleteTask: (id) => admin.deleteTask(id),
    failCallbacks: (taskId, failure) => admin.failCallbacks(taskId, failure),
    timings: () => admin.timings(),
    faults: {
      latency: (fault) => admin.addLatency(fault),
      error: (fault) => admin.addError(fault),
      garbage: (fault) => admin.addGarbage(fault),
      chat: (fault) => admin.addChatFault(fault),
      wikidataLag: (fault) => admin.addLag(fault),
      active: () => admin.activeFaults(),
      reset: () => admin.resetFaults(),
    },
    chatRequests: () => admin.chatRequests(),
    providers: {
      limit: (name, limits) => admin.configureProvider(name, limits),
      configure: (name, changes) => admin.configureProvider(name, changes),
      list: () => admin.providers(),
      useClock: (now) => admin.useProviderClock(now),
    },
    revokeAllTokens: () => admin.revokeAllTokens(),
    switches: () => admin.switches(),
    updateSwitches: (changes) => admin.updateSwitches(changes),
    reset: () => admin.reset(),
    close: () => app.close(),
  };
}
