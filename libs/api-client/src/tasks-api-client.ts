import { UpstreamError } from '@app/resilience';

export type TaskState = 'pending' | 'in_progress' | 'succeeded' | 'failed';

/** A task document that passed validation (docs/contract.md §1), `_id` renamed `id`. */
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
 * Why a call to the tasks API did not succeed:
 * - `outage`: network, timeout, 5xx, 408, throttled past patience, breaker
 *   open, credentials refused. Not the task's fault: try again later.
 * - `refused`: the API answered this request with a 4xx (other than 401,
 *   403, 404-as-redirect): sending it again gets the same answer.
 * - `gone`: a task route answered a redirect, which is how the reference
 *   application says "not found": the task no longer exists.
 */
export type TasksApiErrorKind = 'outage' | 'refused' | 'gone';

/**
 * An API call that did not succeed after the client's own policy (timeout,
 * retries, breaker, one token renewal, rate-limit pauses).
 */
export class TasksApiError extends UpstreamError {
  constructor(
    message: string,
    readonly kind: TasksApiErrorKind,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'TasksApiError';
  }

  /** An outage: the call may succeed later. */
  get transient(): boolean {
    return this.kind === 'outage';
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
  /**
   * `PATCH {state: succeeded, result}`: any JSON value (a vector, or another
   * type's object); a Float32Array travels at float32 precision.
   */
  abstract complete(id: string, result: unknown): Promise<void>;
  abstract fail(id: string, failure: TaskFailure): Promise<void>;
  /** `PATCH {state: pending}`: gives the task back for a later attempt. */
  abstract release(id: string): Promise<void>;
  /** True while the API's breaker is open: calls would fail fast. */
  abstract isBreakerOpen(): boolean;
  /** When a call last got a 2xx answer (epoch ms); undefined before the first. */
  abstract lastSuccessAt(): number | undefined;
}
