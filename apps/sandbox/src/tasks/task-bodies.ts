import { BadRequestException } from '@nestjs/common';
import {
  isTaskState,
  TASK_STATES,
  type NewTask,
  type TaskState,
} from './task.js';
import { isVerificationType } from './task-types.js';

/** The reference application refuses a `result` that serialises to more than this. */
export const MAX_RESULT_BYTES = 10 * 1024 * 1024;
export const MAX_TEXT_LENGTH = 10_000;
const EMBEDDING_TYPES = new Set(['text_embedding', 'text-embedding']);

export interface TaskUpdate {
  state: TaskState;
  result?: unknown;
  error?: unknown;
}

/** Problems are collected and answered together, as Nest's ValidationPipe does. */
class Problems {
  private readonly list: string[] = [];
  add(problem: string): void {
    this.list.push(problem);
  }
  throwIfAny(): void {
    if (this.list.length) throw new BadRequestException(this.list);
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const isNonEmptyString = (value: unknown): value is string =>
  typeof value === 'string' && value.trim().length > 0;

function rejectUnknownFields(
  body: Record<string, unknown>,
  allowed: readonly string[],
  problems: Problems,
): void {
  for (const field of Object.keys(body))
    if (!allowed.includes(field))
      problems.add(`property ${field} should not exist`);
}

function requireObject(body: unknown): Record<string, unknown> {
  if (!isRecord(body))
    throw new BadRequestException(['the body must be a JSON object']);
  return body;
}

/**
 * Parses a PATCH body. `bodyBytes` is the request's length: a body no longer
 * than the limit cannot carry a result over it, so the common case never
 * serialises the vector again.
 */
export function parseTaskUpdate(body: unknown, bodyBytes: number): TaskUpdate {
  const fields = requireObject(body);
  const problems = new Problems();
  rejectUnknownFields(fields, ['state', 'result', 'error'], problems);
  if (!isTaskState(fields.state))
    problems.add(
      `state must be one of the following values: ${TASK_STATES.join(', ')}`,
    );
  if (
    'error' in fields &&
    fields.error !== null &&
    typeof fields.error !== 'string' &&
    !isRecord(fields.error)
  )
    problems.add('error must be an object or a string');
  if (
    fields.result !== undefined &&
    bodyBytes > MAX_RESULT_BYTES &&
    Buffer.byteLength(JSON.stringify(fields.result)) > MAX_RESULT_BYTES
  )
    problems.add(`result must not exceed ${MAX_RESULT_BYTES} bytes`);
  problems.throwIfAny();
  return fields as unknown as TaskUpdate;
}

function checkText(text: unknown, field: string, problems: Problems): void {
  if (!isNonEmptyString(text))
    problems.add(`${field} must be a non-empty string`);
  else if (text.length > MAX_TEXT_LENGTH)
    problems.add(`${field} must be at most ${MAX_TEXT_LENGTH} characters`);
}

function checkEmbeddingContent(content: unknown, problems: Problems): void {
  if (typeof content === 'string')
    return checkText(content, 'content', problems);
  if (!isRecord(content)) {
    problems.add('content must be an object or a string');
    return;
  }
  checkText(content.text, 'content.text', problems);
  if (!isNonEmptyString(content.model))
    problems.add('content.model must be a non-empty string');
  if (
    content.dimensions !== undefined &&
    !(Number.isInteger(content.dimensions) && Number(content.dimensions) > 0)
  )
    problems.add('content.dimensions must be a positive integer');
}

/** `{name, language?, wikidataId?}`: a name found by an earlier step, its item or null. */
function checkEntity(entity: unknown, field: string, problems: Problems): void {
  if (!isRecord(entity)) {
    problems.add(`${field} must be an object`);
    return;
  }
  if (!isNonEmptyString(entity.name))
    problems.add(`${field}.name must be a non-empty string`);
  if (entity.language !== undefined && typeof entity.language !== 'string')
    problems.add(`${field}.language must be a string`);
  if (
    entity.wikidataId !== undefined &&
    entity.wikidataId !== null &&
    typeof entity.wikidataId !== 'string'
  )
    problems.add(`${field}.wikidataId must be a string or null`);
}

function checkEntityList(
  list: unknown,
  field: string,
  problems: Problems,
): void {
  if (!Array.isArray(list)) problems.add(`${field} must be an array`);
  else
    list.forEach((entity, i) =>
      checkEntity(entity, `${field}[${i}]`, problems),
    );
}

/**
 * docs/contract.md §1a: `{text, model?}`, and for `defining_severity` the
 * earlier steps' findings. Other fields pass, as the real server's schema
 * lets them.
 */
function checkVerificationContent(
  type: string,
  content: unknown,
  problems: Problems,
): void {
  if (!isRecord(content)) {
    problems.add('content must be an object');
    return;
  }
  if (!isNonEmptyString(content.text))
    problems.add('content.text must be a non-empty string');
  if (content.model !== undefined && typeof content.model !== 'string')
    problems.add('content.model must be a string');
  if (type !== 'defining_severity') return;
  if (content.impactArea !== undefined && content.impactArea !== null)
    checkEntity(content.impactArea, 'content.impactArea', problems);
  checkEntityList(content.topics, 'content.topics', problems);
  checkEntityList(content.personalities, 'content.personalities', problems);
}

/** Parses a POST body: the fields of the task document (docs/contract.md) that a client writes. */
export function parseNewTask(body: unknown): NewTask {
  const fields = requireObject(body);
  const problems = new Problems();
  rejectUnknownFields(
    fields,
    ['type', 'content', 'callbackRoute', 'callbackParams'],
    problems,
  );
  if (!isNonEmptyString(fields.type))
    problems.add('type must be a non-empty string');
  else if (EMBEDDING_TYPES.has(fields.type))
    checkEmbeddingContent(fields.content, problems);
  else if (isVerificationType(fields.type))
    checkVerificationContent(fields.type, fields.content, problems);
  else if (fields.content === undefined) problems.add('content is required');
  if (!isNonEmptyString(fields.callbackRoute))
    problems.add('callbackRoute must be a non-empty string');
  if (!isRecord(fields.callbackParams))
    problems.add('callbackParams must be an object');
  problems.throwIfAny();
  return fields as unknown as NewTask;
}
