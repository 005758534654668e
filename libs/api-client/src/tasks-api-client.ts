import type { ResultVector } from './request-body.js';

export type TaskState = 'pending' | 'in_progress' | 'succeeded' | 'failed';

/** A task document that passed validation (CONTRACT.md §1), `_id` renamed `id`. */
export interface Task {
  id: string;
  /** Canonical spelling: `text-embedding` arrives as `text_embedding`. */
  type: string;
  state: TaskState;
  /** Opaque here: each processor validates the content of its own type. */
  content: unknown;
  createdAt: Date;
  updatedAt: Date;
}

/** An entry of a page that is not a valid task; `id` when it had a usable one. */
export interface RejectedTask {
  id?: string;
  reasons: string[];
}

export interface TaskPage {
  tasks: Task[];
  rejected: RejectedTask[];
}

export type ClaimResult = 'claimed' | 'conflict';

export interface TaskFailure {
  code: string;
  message: string;
}

/**
 * An API call that did not succeed after the client's own policy (timeout,
 * retries, breaker, one token renewal). `transient` is true for outages
 * (network, 5xx, 408, 429, breaker open, credentials refused) and false when
 * the API refused this request itself (400, 404, other 4xx).
 */
export class TasksApiError extends Error {
  constructor(
    message: string,
    readonly transient: boolean,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'TasksApiError';
  }
}

/**
 * The tasks API as the rest of the service sees it. Injected by this class;
 * every method throws `TasksApiError` and nothing else.
 */
export abstract class TasksApiClient {
  /**
   * `GET /api/ai-tasks/pending?limit=N`. Keeps at most `limit` entries
   * (tasks plus rejected) even when the API ignores `limit`, and stops
   * reading the answer once it has them.
   */
  abstract fetchPending(limit: number): Promise<TaskPage>;
  abstract listByState(state: TaskState): Promise<TaskPage>;
  /** `PATCH {state: in_progress}`; a 409 answers `conflict`. */
  abstract claim(id: string): Promise<ClaimResult>;
  /** `PATCH {state: succeeded, result}`; a Float32Array travels at float32 precision. */
  abstract complete(id: string, result: ResultVector): Promise<void>;
  abstract fail(id: string, failure: TaskFailure): Promise<void>;
  /** `PATCH {state: pending}`: gives the task back for a later attempt. */
  abstract release(id: string): Promise<void>;
  /** True while the API's breaker is open: calls would fail fast. */
  abstract isBreakerOpen(): boolean;
}
