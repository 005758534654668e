import { taskDocument } from '../../../test/support/task-documents.js';
import { checkTaskEntry } from './task-document.js';

/** What the `_id` rule says it wants. */
const ID_RULE =
  'a task id (a non-empty string of at most 256 characters that stays one URL path segment: not "." or "..", no "/" or "\\")';

describe('checkTaskEntry', () => {
  it('accepts a contract task and renames _id to id', () => {
    const document = taskDocument({ _id: '6650f1c2a1b2c3d4e5f60718' });
    expect(checkTaskEntry(document)).toEqual({
      kind: 'valid',
      task: {
        id: '6650f1c2a1b2c3d4e5f60718',
        type: 'text_embedding',
        state: 'pending',
        content: document.content,
        createdAt: new Date('2026-01-01T00:00:00.000Z'),
        updatedAt: new Date('2026-01-01T00:00:00.000Z'),
      },
    });
  });

  it('keeps the type as the API spells it, known or not (processors compare types)', () => {
    const older = checkTaskEntry(taskDocument({ type: 'text-embedding' }));
    const unknown = checkTaskEntry(taskDocument({ type: 'image_caption' }));
    expect(older.kind === 'valid' && older.task.type).toBe('text-embedding');
    expect(unknown.kind === 'valid' && unknown.task.type).toBe('image_caption');
  });

  it('accepts content as a bare string, leaving its details to the processor', () => {
    const bare = checkTaskEntry(taskDocument({ content: 'Text to embed' }));
    const odd = checkTaskEntry(taskDocument({ content: { text: '' } }));
    expect(bare.kind === 'valid' && bare.task.content).toBe('Text to embed');
    expect(odd.kind).toBe('valid');
  });

  it.each([
    [{ _id: undefined }, '_id is missing', undefined],
    [{ _id: 12 }, `_id must be ${ID_RULE} (got a number)`, undefined],
    [{ _id: '  ' }, `_id must be ${ID_RULE} (got "  ")`, undefined],
    // Dot segments: `PATCH /api/ai-tasks/..` is `PATCH /api/` to any URL normaliser.
    [{ _id: '.' }, `_id must be ${ID_RULE} (got ".")`, undefined],
    [{ _id: '..' }, `_id must be ${ID_RULE} (got "..")`, undefined],
    // Encoded as %2F and %5C, which proxies and servers may decode into separators.
    [{ _id: '../admin' }, `_id must be ${ID_RULE} (got "../admin")`, undefined],
    [{ _id: 'a\\b' }, `_id must be ${ID_RULE} (got "a\\\\b")`, undefined],
    [
      { _id: 'x'.repeat(257) },
      `_id must be ${ID_RULE} (got "${'x'.repeat(40)}…")`,
      undefined,
    ],
    [{ type: null }, 'type must be a non-empty string (got null)', 'id'],
    [
      { state: 'done' },
      'state must be one of pending, in_progress, succeeded, failed (got "done")',
      'id',
    ],
    [
      { content: null },
      'content must be an object or a string (got null)',
      'id',
    ],
    [
      { content: ['a'] },
      'content must be an object or a string (got an array)',
      'id',
    ],
    [{ content: undefined }, 'content is missing', 'id'],
    [
      { createdAt: 'yesterday' },
      'createdAt must be an ISO 8601 date (got "yesterday")',
      'id',
    ],
    [
      { updatedAt: 1767225600000 },
      'updatedAt must be an ISO 8601 date (got a number)',
      'id',
    ],
  ])('rejects %j: %s', (overrides, reason, id) => {
    const document = taskDocument({ _id: 'the-id', ...overrides });
    expect(checkTaskEntry(document)).toEqual({
      kind: 'invalid',
      rejected: id
        ? { id: 'the-id', reasons: [reason] }
        : { reasons: [reason] },
    });
  });

  it.each([
    '...',
    'a.b',
    '6650f1c2a1b2c3d4e5f60718',
    'a b?c#d',
    'x'.repeat(256),
  ])('accepts the id %j: one path segment once encoded', (id) => {
    const checked = checkTaskEntry(taskDocument({ _id: id }));
    expect(checked.kind === 'valid' && checked.task.id).toBe(id);
  });

  it('lists every problem of an entry', () => {
    const checked = checkTaskEntry({ _id: 'x', state: 'pending' });
    expect(checked.kind === 'invalid' && checked.rejected).toEqual({
      id: 'x',
      reasons: [
        'type is missing',
        'content is missing',
        'createdAt is missing',
        'updatedAt is missing',
      ],
    });
  });

  it.each([
    [null, 'null'],
    [7, 'a number'],
    ['text', 'a string'],
    [[taskDocument()], 'an array'],
  ])('rejects the entry %j, which is not a document', (entry, kind) => {
    expect(checkTaskEntry(entry)).toEqual({
      kind: 'invalid',
      rejected: { reasons: [`the entry is ${kind}, not a task document`] },
    });
  });

  it('is not fooled by a __proto__ key', () => {
    const entry: unknown = JSON.parse(
      '{"__proto__": {"_id": "x"}, "_id": "real", "type": "text_embedding"}',
    );
    const checked = checkTaskEntry(entry);
    expect(checked.kind).toBe('invalid');
    expect(checked.kind === 'invalid' && checked.rejected.id).toBe('real');
  });
});
