/** Task documents as the tasks API sends them (docs/contract.md §1), for tests. */

let sequence = 0;

/** A fresh 24-hex-character id, unique within the process. */
export const objectId = (): string =>
  `6650f1c2a1b2${(++sequence).toString(16).padStart(12, '0')}`;

/** A valid pending text-embedding task; fields can be overridden or removed (`undefined`). */
export function taskDocument(
  overrides: Record<string, unknown> = {},
): Record<string, unknown> {
  const document: Record<string, unknown> = {
    _id: objectId(),
    type: 'text_embedding',
    state: 'pending',
    content: { text: 'Text to embed', model: 'text-embedding-3-small' },
    callbackRoute: 'verification_update_embedding',
    callbackParams: { targetId: objectId(), field: 'embedding' },
    createdAt: '2026-01-01T00:00:00.000Z',
    updatedAt: '2026-01-01T00:00:00.000Z',
    ...overrides,
  };
  for (const key of Object.keys(document))
    if (document[key] === undefined) delete document[key];
  return document;
}

/**
 * The body of a `/pending` answer with `count` tasks, produced lazily chunk
 * by chunk (an enormous page costs the test nothing until it is read).
 */
export function* pendingPageChunks(
  count: number,
  tasksPerChunk = 50,
): Generator<string> {
  yield '[';
  for (let start = 0; start < count; start += tasksPerChunk) {
    const end = Math.min(count, start + tasksPerChunk);
    const tasks: string[] = [];
    for (let index = start; index < end; index++)
      tasks.push(JSON.stringify(taskDocument()));
    yield (start === 0 ? '' : ',') + tasks.join(',');
  }
  yield ']';
}
