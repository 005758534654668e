import { randomBytes } from 'node:crypto';

export const TASK_STATES = [
  'pending',
  'in_progress',
  'succeeded',
  'failed',
] as const;
export type TaskState = (typeof TASK_STATES)[number];

export function isTaskState(value: unknown): value is TaskState {
  return (TASK_STATES as readonly unknown[]).includes(value);
}

/** The content of a text-embedding task as the current API writes it. */
export interface TextEmbeddingContent {
  text: string;
  model: string;
  dimensions?: number;
}

/** A name with its Wikidata item, as a verification's earlier steps found it. */
export interface NamedEntity {
  name: string;
  language?: string;
  wikidataId?: string | null;
}

/** The content of a verification task (docs/contract.md §1a). */
export interface VerificationContent {
  text: string;
  /** The chat model; the service's default when absent. */
  model?: string;
  /** `defining_severity` only. */
  impactArea?: NamedEntity;
  topics?: NamedEntity[];
  personalities?: NamedEntity[];
}

/** What `POST /api/ai-tasks` takes. */
export interface NewTask {
  type: string;
  content: TextEmbeddingContent | VerificationContent | string;
  callbackRoute: string;
  callbackParams: Record<string, unknown>;
}

/** One PATCH received for a task: the state it asked for and the status answered. */
export interface PatchRecord {
  /** The `state` of the body as sent (`null` when it was not a string or the body was not read). */
  state: string | null;
  status: number;
  /** When the PATCH arrived, epoch milliseconds. */
  atMs: number;
}

/**
 * A stored task document as the API answers it. Only `state` and the
 * timestamps are guaranteed: tasks inserted through the admin route may be
 * malformed on purpose (that is what the processor must survive).
 */
export interface TaskDocument {
  _id?: unknown;
  type?: unknown;
  state: TaskState;
  content?: unknown;
  callbackRoute?: unknown;
  callbackParams?: unknown;
  result?: unknown;
  error?: unknown;
  createdAt: string;
  updatedAt: string;
  /** Admin views only (never in the API's answers): the last PATCHes received. */
  patches?: PatchRecord[];
  /** Admin views only: how many times the result was dispatched to the callback. */
  callbackDispatches?: number;
  [field: string]: unknown;
}

/** A task document whose `_id` is a real object id: anything the API itself created. */
export type WellFormedTask = TaskDocument & NewTask & { _id: string };

const OBJECT_ID = /^[0-9a-f]{24}$/;

export function isObjectId(value: unknown): value is string {
  return typeof value === 'string' && OBJECT_ID.test(value);
}

/**
 * MongoDB ObjectId layout: 4-byte seconds, 5 random bytes per process (here:
 * per generator), 3-byte counter; 24 hex characters, increasing over time.
 */
export class ObjectIdGenerator {
  private readonly processPart = randomBytes(5).toString('hex');
  private counter = randomBytes(3).readUIntBE(0, 3);

  next(nowMs: number): string {
    this.counter = (this.counter + 1) % 0x1000000;
    const seconds = Math.floor(nowMs / 1000)
      .toString(16)
      .padStart(8, '0');
    return `${seconds}${this.processPart}${this.counter.toString(16).padStart(6, '0')}`;
  }
}
