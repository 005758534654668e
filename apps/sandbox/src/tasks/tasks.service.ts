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
import { TaskRepository, type TaskRecord } from './task-repository.js';
import { isAllowedTransition } from './transitions.js';

const FINAL: ReadonlySet<TaskState> = new Set(['succeeded', 'failed']);

/** The tasks API's behaviour, independent of HTTP. */
@Injectable()
export class TasksService {
  constructor(
    @Inject(TaskRepository) private readonly repository: TaskRepository,
    @Inject(SandboxSettings) private readonly settings: SandboxSettings,
    @Inject(SandboxStats) private readonly stats: SandboxStats,
    @Inject(ObjectIdGenerator) private readonly ids: ObjectIdGenerator,
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
    // ObjectIds compare case-insensitively, as MongoDB parses them.
    if (!isObjectId(id.toLowerCase()))
      throw new BadRequestException(['id must be a mongodb id']);
    const record = this.repository.find(id.toLowerCase());
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
    return record.doc;
  }

  private apply(record: TaskRecord, change: TaskUpdate): void {
    const now = Date.now();
    const from = record.doc.state;
    const { state, ...fields } = change;
    if (!this.settings.keepResults) delete fields.result;
    this.repository.replace(record, {
      ...record.doc,
      ...fields,
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

  private json(records: TaskRecord[]): string {
    const parts = records.map((record) => {
      if (record.json !== undefined) return record.json;
      const text = JSON.stringify(record.doc);
      // Only pending documents are listed over and over; finished ones may carry a large vector.
      if (record.doc.state === 'pending') record.json = text;
      return text;
    });
    return `[${parts.join(',')}]`;
  }
}
