import { validate } from '@app/validation';
import {
  ValidateBy,
  isIn,
  isISO8601,
  isObject,
  isString,
} from 'class-validator';
import type { RejectedTask, Task, TaskState } from './tasks-api-client.js';

export const TASK_STATES: readonly TaskState[] = [
  'pending',
  'in_progress',
  'succeeded',
  'failed',
];

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
  _id: string;

  @Rule('nonEmptyString', nonEmptyString, 'a non-empty string')
  type: string;

  @Rule(
    'taskState',
    (value) => isIn(value, TASK_STATES),
    `one of ${TASK_STATES.join(', ')}`,
  )
  state: TaskState;

  // A bare string is the text of older deployments; the processor reads it.
  @Rule(
    'taskContent',
    (value) => isString(value) || (isObject(value) && !Array.isArray(value)),
    'an object or a string',
  )
  content: object | string;

  @Rule('isoDate', isoDate, 'an ISO 8601 date')
  createdAt: string;

  @Rule('isoDate', isoDate, 'an ISO 8601 date')
  updatedAt: string;
}

export type CheckedEntry =
  { kind: 'valid'; task: Task } | { kind: 'invalid'; rejected: RejectedTask };

const idOf = (entry: object): unknown =>
  Object.getOwnPropertyDescriptor(entry, '_id')?.value;

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
      kind: 'invalid',
      rejected: {
        reasons: [`the entry is ${kindOf(entry)}, not a task document`],
      },
    };
  }
  const checked = validate(TaskDocument, entry);
  if (checked.kind === 'invalid') {
    const id = idOf(entry);
    return {
      kind: 'invalid',
      rejected: usableTaskId(id)
        ? { id, reasons: checked.problems }
        : { reasons: checked.problems },
    };
  }
  const { _id, type, state, content, createdAt, updatedAt } = checked.value;
  return {
    kind: 'valid',
    task: {
      id: _id,
      type,
      state,
      content,
      createdAt: new Date(createdAt),
      updatedAt: new Date(updatedAt),
    },
  };
}
