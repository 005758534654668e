import {
  ValidateBy,
  isIn,
  isISO8601,
  isObject,
  isString,
  validateSync,
} from 'class-validator';
import type { RejectedTask, Task, TaskState } from './tasks-api-client.js';

export const TASK_STATES: readonly TaskState[] = [
  'pending',
  'in_progress',
  'succeeded',
  'failed',
];

/** Older deployments spell the type with a dash (docs/contract.md §1). */
const TYPE_ALIASES: ReadonlyMap<string, string> = new Map([
  ['text-embedding', 'text_embedding'],
]);

const kindOf = (value: unknown): string => {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
};

const shown = (value: unknown): string =>
  typeof value === 'string'
    ? JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)
    : kindOf(value);

/** A class-validator rule whose message names the field, the rule and what came. */
const Rule = (name: string, test: (value: unknown) => boolean, rule: string) =>
  ValidateBy({
    name,
    validator: {
      validate: test,
      defaultMessage: (args) =>
        args?.value === undefined
          ? `${args?.property} is missing`
          : `${args?.property} must be ${rule} (got ${shown(args.value)})`,
    },
  });

const nonEmptyString = (value: unknown): value is string =>
  isString(value) && value.trim() !== '';

/** Longest task id taken: real ids are 24 characters; every id goes into a URL and log lines. */
export const MAX_TASK_ID_LENGTH = 256;

/**
 * Whether `value` can name a task in `PATCH /api/ai-tasks/:id`: a
 * non-empty string that, percent-encoded, stays that one path segment on
 * its way. `.` and `..` are dot segments, which URL normalisation (a proxy,
 * the server's router) resolves to another route; `/` and `\` are encoded
 * (%2F, %5C), but proxies and servers may decode them into separators.
 */
export const usableTaskId = (value: unknown): value is string =>
  nonEmptyString(value) &&
  value.length <= MAX_TASK_ID_LENGTH &&
  value !== '.' &&
  value !== '..' &&
  !/[/\\]/.test(value);

const isoDate = (value: unknown): boolean =>
  isString(value) && isISO8601(value) && !Number.isNaN(Date.parse(value));

/** The rules of docs/contract.md's task document that the client checks. */
class TaskDocument {
  @Rule(
    'taskId',
    usableTaskId,
    `a task id (a non-empty string of at most ${MAX_TASK_ID_LENGTH} characters that stays one URL path segment: not "." or "..", no "/" or "\\")`,
  )
  _id: unknown;

  @Rule('nonEmptyString', nonEmptyString, 'a non-empty string')
  type: unknown;

  @Rule(
    'taskState',
    (value) => isIn(value, TASK_STATES),
    `one of ${TASK_STATES.join(', ')}`,
  )
  state: unknown;

  // A bare string is the text of older deployments; the processor reads it.
  @Rule(
    'taskContent',
    (value) => isString(value) || (isObject(value) && !Array.isArray(value)),
    'an object or a string',
  )
  content: unknown;

  @Rule('isoDate', isoDate, 'an ISO 8601 date')
  createdAt: unknown;

  @Rule('isoDate', isoDate, 'an ISO 8601 date')
  updatedAt: unknown;
}

export type CheckedEntry =
  { valid: true; task: Task } | { valid: false; rejected: RejectedTask };

/**
 * Checks one entry of a page on its own. Only the document's shape is
 * checked: the content of each type, and whether the type is known at all,
 * are the processors' business. A rejected entry keeps its id only when it
 * is usable: the lifecycle reports it failed there, and never PATCHes any
 * other.
 */
export function checkTaskEntry(entry: unknown): CheckedEntry {
  if (!isObject(entry) || Array.isArray(entry)) {
    return {
      valid: false,
      rejected: {
        reasons: [`the entry is ${kindOf(entry)}, not a task document`],
      },
    };
  }
  const raw = entry as Record<string, unknown>;
  // Copy the known fields only: a `__proto__` key must not reach a setter.
  const document = Object.assign(new TaskDocument(), {
    _id: raw._id,
    type: raw.type,
    state: raw.state,
    content: raw.content,
    createdAt: raw.createdAt,
    updatedAt: raw.updatedAt,
  });
  const problems = validateSync(document).flatMap(({ constraints = {} }) =>
    Object.values(constraints),
  );
  if (problems.length > 0) {
    return {
      valid: false,
      rejected: usableTaskId(raw._id)
        ? { id: raw._id, reasons: problems }
        : { reasons: problems },
    };
  }
  const type = raw.type as string;
  return {
    valid: true,
    task: {
      id: raw._id as string,
      type: TYPE_ALIASES.get(type) ?? type,
      state: raw.state as TaskState,
      content: raw.content,
      createdAt: new Date(raw.createdAt as string),
      updatedAt: new Date(raw.updatedAt as string),
    },
  };
}
