import {
  BadRequestException,
  ConflictException,
  Inject,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import { SandboxSettings } from '../settings.js';
import { SandboxStats } from '../stats.js';
import {
  CallbackDispatcher,
  type CallbackFailure,
} from './callback-dispatcher.js';
import {
  isObjectId,
  isTaskState,
  ObjectIdGenerator,
  TASK_STATES,
  type NewTask,
  type TaskDocument,
  type TaskState,
  type WellFormedTask,
} from './task.js';
import type { TaskUpdate } from './task-bodies.js';
import {
  MAX_PATCHES_KEPT,
  TaskRepository,
  type TaskRecord,
} from './task-repository.js';
import { isAllowedTransition } from './transitions.js';

const FINAL: ReadonlySet<TaskState> = new Set(['succeeded', 'failed']);

/** The fields the real server does not store (`storeReports` off). */
const hasReports = (doc: TaskDocument) => 'result' in doc || 'error' in doc;

function withoutReports(doc: TaskDocument): TaskDocument {
  const { result: _result, error: _error, ...stored } = doc;
  return stored as TaskDocument;
}

/** The tasks API's behaviour, independent of HTTP. */
@Injectable()
export class TasksService {
  constructor(
    @Inject(TaskRepository) private readonly repository: TaskRepository,
    @Inject(SandboxSettings) private readonly settings: SandboxSettings,
    @Inject(SandboxStats) private readonly stats: SandboxStats,
    @Inject(ObjectIdGenerator) private readonly ids: ObjectIdGenerator,
    @Inject(CallbackDispatcher)
    private readonly callbacks: CallbackDispatcher,
  ) {}

  create(task: NewTask): WellFormedTask {
    const now = Date.now();
    const at = new Date(now).toISOString();
    const doc: WellFormedTask = {
      _id: this.ids.next(now),
      type: task.type,
      state: 'pending',
      content: task.content,
      callbackRoute: task.callbackRoute,
      callbackParams: task.callbackParams,
      createdAt: at,
      updatedAt: at,
    };
    this.repository.insert(doc._id, doc);
    return doc;
  }

  /**
   * Stores a document as given (admin route): malformed tasks are how tests
   * show that the processor survives them. Missing state and timestamps are
   * filled in; a missing `_id` is generated unless `generateId` is false.
   */
  insertAsIs(
    fields: Record<string, unknown>,
    generateId: boolean,
  ): TaskDocument {
    if (fields.state !== undefined && !isTaskState(fields.state))
      throw new BadRequestException([
        `state must be one of ${TASK_STATES.join(', ')}`,
      ]);
    for (const stamp of ['createdAt', 'updatedAt']) {
      const value = fields[stamp];
      if (
        value !== undefined &&
        (typeof value !== 'string' || Number.isNaN(Date.parse(value)))
      )
        throw new BadRequestException([`${stamp} must be an ISO date`]);
    }
    const now = Date.now();
    const at = new Date(now).toISOString();
    const id = '_id' in fields || !generateId ? fields._id : this.ids.next(now);
    const doc: TaskDocument = {
      ...(id === undefined ? {} : { _id: id }),
      state: 'pending',
      createdAt: at,
      ...fields,
      updatedAt: fields.updatedAt ?? fields.createdAt ?? at,
    } as TaskDocument;
    if (isObjectId(id) && this.repository.find(id))
      throw new BadRequestException([`a task with _id ${id} exists`]);
    const key = isObjectId(id) ? id : `hidden:${this.ids.next(now)}`;
    this.repository.insert(key, doc);
    return doc;
  }

  /** The JSON text of the pending tasks, oldest first. */
  pendingJson(limit: number | undefined): string {
    return this.json(
      this.repository.list(
        'pending',
        this.settings.honourLimit ? limit : undefined,
      ),
    );
  }

  listJson(state: TaskState | undefined): string {
    return this.json(this.repository.list(state));
  }

  update(id: string, change: TaskUpdate): TaskDocument {
    const record = this.repository.find(this.keyOf(id));
    if (!record) throw new NotFoundException(`task ${id} not found`);
    const from = record.doc.state;
    const to = change.state;
    const claim = to === 'in_progress';
    if (claim && from !== 'pending') this.stats.count('claimConflicts');
    if (this.settings.conflictOnClaim && !isAllowedTransition(from, to)) {
      if (!claim) this.stats.count('rejectedTransitions');
      throw new ConflictException(
        `task ${id} is ${from} and cannot become ${to}`,
      );
    }
    this.apply(record, change);
    // The real server saves first, then dispatches: a failed callback is the
    // PATCH's answer although the task is already succeeded.
    if (
      this.settings.callbacks &&
      to === 'succeeded' &&
      change.result !== undefined
    )
      this.callbacks.dispatch(record, change.result);
    return this.answer(record.doc);
  }

  /** Removes a task, as if another client had deleted it; false when there is none. */
  delete(id: string): boolean {
    const record =
      this.repository.find(id) ?? this.repository.find(id.toLowerCase());
    if (!record || !this.repository.delete(record)) return false;
    this.callbacks.forget(record.key);
    return true;
  }

  /** The next `count` callback dispatches of task `id` fail with `status` (500 by default). */
  failCallbacks(id: string, failure: CallbackFailure): void {
    const record = this.repository.find(this.keyOf(id));
    if (!record) throw new NotFoundException(`task ${id} not found`);
    this.callbacks.inject(record.key, failure);
  }

  /** Notes a PATCH answered for task `id` (any status), keeping the last ones. */
  recordPatch(id: string, state: unknown, status: number, atMs: number): void {
    let key: string;
    try {
      key = this.keyOf(id);
    } catch {
      return;
    }
    const record = this.repository.find(key);
    if (!record) return;
    const patches = (record.patches ??= []);
    patches.push({
      state: typeof state === 'string' ? state : null,
      status,
      atMs,
    });
    if (patches.length > MAX_PATCHES_KEPT) patches.shift();
  }

  /**
   * The repository key of a task id, or 400. ObjectIds compare
   * case-insensitively, as MongoDB parses them. The reference profile also
   * accepts what Mongoose's `isValidObjectId` does: any 12-character string,
   * read as the 12 bytes of an ObjectId.
   */
  keyOf(id: string): string {
    const lower = id.toLowerCase();
    if (isObjectId(lower)) return lower;
    if (this.settings.profile === 'reference') {
      if (id.length === 12) {
        const bytes = Buffer.from(id, 'utf8');
        return bytes.length === 12 ? bytes.toString('hex') : `unmatched:${id}`;
      }
      throw new BadRequestException(`Invalid task id: ${id}`);
    }
    throw new BadRequestException(['id must be a mongodb id']);
  }

  private apply(record: TaskRecord, change: TaskUpdate): void {
    const now = Date.now();
    const from = record.doc.state;
    const { state, ...fields } = change;
    if (!this.settings.keepResults) delete fields.result;
    if ('result' in fields || 'error' in fields)
      record.reports = { ...record.reports, ...fields };
    this.repository.replace(record, {
      ...record.doc,
      // The real server stores only `state`: `error` is dropped, `result` goes to the callback.
      ...(this.settings.storeReports ? fields : {}),
      state,
      updatedAt: new Date(now).toISOString(),
    });
    if (state === 'in_progress' && from === 'pending') {
      this.stats.count('claims');
      record.claims += 1;
      record.firstClaimedAtMs ??= now;
      record.lastClaimedAtMs = now;
    }
    if (state === 'pending' && from === 'in_progress')
      this.stats.count('releases');
    if (FINAL.has(state)) {
      this.stats.count('completions');
      record.completions += 1;
      record.completedAtMs ??= now;
      if (record.completions === 2)
        this.stats.count('tasksCompletedMoreThanOnce');
    }
  }

  /** A document as the API answers it: without `result` and `error` when they are not stored. */
  private answer(doc: TaskDocument): TaskDocument {
    return !this.settings.storeReports && hasReports(doc)
      ? withoutReports(doc)
      : doc;
  }

  private json(records: TaskRecord[]): string {
    const parts = records.map((record) => {
      if (!this.settings.storeReports && hasReports(record.doc))
        return JSON.stringify(withoutReports(record.doc));
      if (record.json !== undefined) return record.json;
      const text = JSON.stringify(record.doc);
      // Only pending documents are listed over and over; finished ones may carry a large vector.
      if (record.doc.state === 'pending') record.json = text;
      return text;
    });
    return `[${parts.join(',')}]`;
  }
}
