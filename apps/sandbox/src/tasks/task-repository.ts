import {
  TASK_STATES,
  type PatchRecord,
  type TaskDocument,
  type TaskState,
} from './task.js';

export type { PatchRecord } from './task.js';

/** The PATCHes kept per task: the last ones. */
export const MAX_PATCHES_KEPT = 100;

/** A stored task and what the sandbox knows about its history. */
export interface TaskRecord {
  /** Lookup key: the `_id` when it is an object id, a hidden one otherwise. */
  readonly key: string;
  /** Insertion order; breaks ties between equal `createdAt`s. */
  readonly seq: number;
  readonly createdAtMs: number;
  doc: TaskDocument;
  /** The serialised document while it is unchanged (listing 20,000 tasks is the hot path). */
  json?: string;
  firstClaimedAtMs?: number;
  lastClaimedAtMs?: number;
  completedAtMs?: number;
  claims: number;
  completions: number;
  /**
   * The `result` and `error` last received by a PATCH, whether or not they
   * were stored (`storeReports`); `result` only while `keepResults`.
   */
  reports?: { result?: unknown; error?: unknown };
  /** The last PATCHes received, oldest first, at most MAX_PATCHES_KEPT. */
  patches?: PatchRecord[];
  /** Results dispatched to the task's callback, failed ones included. */
  callbackDispatches: number;
}

/** Where tasks live. Listings come oldest first. */
export abstract class TaskRepository {
  abstract insert(key: string, doc: TaskDocument): TaskRecord;
  abstract find(key: string): TaskRecord | undefined;
  /** Replaces the document of a stored task, moving it between state indexes. */
  abstract replace(record: TaskRecord, doc: TaskDocument): void;
  /** Removes a stored task; false when it was not stored. */
  abstract delete(record: TaskRecord): boolean;
  /** Tasks in `state` (every task when omitted), oldest first, at most `limit`. */
  abstract list(state?: TaskState, limit?: number): TaskRecord[];
  abstract count(state: TaskState): number;
  abstract size(): number;
  abstract all(): Iterable<TaskRecord>;
  abstract clear(): void;
}

const olderFirst = (a: TaskRecord, b: TaskRecord) =>
  a.createdAtMs - b.createdAtMs || a.seq - b.seq;

/**
 * The tasks of one state in oldest-first order. Appending a newer task keeps
 * the order for free; a task coming back (a release) marks the set unsorted
 * and the next listing sorts once.
 */
class OldestFirstSet {
  private items = new Set<TaskRecord>();
  private newest: TaskRecord | undefined;
  private sorted = true;

  get size(): number {
    return this.items.size;
  }

  add(record: TaskRecord): void {
    if (this.newest && olderFirst(record, this.newest) < 0) this.sorted = false;
    else this.newest = record;
    this.items.add(record);
  }

  delete(record: TaskRecord): void {
    this.items.delete(record);
  }

  take(limit = Infinity): TaskRecord[] {
    if (!this.sorted) {
      const ordered = [...this.items].sort(olderFirst);
      this.items = new Set(ordered);
      this.newest = ordered.at(-1);
      this.sorted = true;
    }
    const taken: TaskRecord[] = [];
    for (const record of this.items) {
      if (taken.length >= limit) break;
      taken.push(record);
    }
    return taken;
  }
}

export class InMemoryTaskRepository extends TaskRepository {
  private readonly byKey = new Map<string, TaskRecord>();
  private byState = InMemoryTaskRepository.emptyIndexes();
  private seq = 0;

  private static emptyIndexes(): Map<TaskState, OldestFirstSet> {
    return new Map(TASK_STATES.map((state) => [state, new OldestFirstSet()]));
  }

  insert(key: string, doc: TaskDocument): TaskRecord {
    const parsed = Date.parse(doc.createdAt);
    const record: TaskRecord = {
      key,
      seq: this.seq++,
      createdAtMs: Number.isNaN(parsed) ? Date.now() : parsed,
      doc,
      claims: 0,
      completions: 0,
      callbackDispatches: 0,
    };
    this.byKey.set(key, record);
    this.index(doc.state).add(record);
    return record;
  }

  find(key: string): TaskRecord | undefined {
    return this.byKey.get(key);
  }

  replace(record: TaskRecord, doc: TaskDocument): void {
    if (record.doc.state !== doc.state) {
      this.index(record.doc.state).delete(record);
      this.index(doc.state).add(record);
    }
    record.doc = doc;
    record.json = undefined;
  }

  delete(record: TaskRecord): boolean {
    if (this.byKey.get(record.key) !== record) return false;
    this.byKey.delete(record.key);
    this.index(record.doc.state).delete(record);
    return true;
  }

  list(state?: TaskState, limit?: number): TaskRecord[] {
    if (state) return this.index(state).take(limit);
    return [...this.byKey.values()].sort(olderFirst).slice(0, limit);
  }

  count(state: TaskState): number {
    return this.index(state).size;
  }

  size(): number {
    return this.byKey.size;
  }

  all(): Iterable<TaskRecord> {
    return this.byKey.values();
  }

  clear(): void {
    this.byKey.clear();
    this.byState = InMemoryTaskRepository.emptyIndexes();
  }

  private index(state: TaskState): OldestFirstSet {
    const index = this.byState.get(state);
    if (!index) throw new Error(`unknown task state ${state}`);
    return index;
  }
}
