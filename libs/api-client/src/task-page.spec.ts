import { Readable } from 'node:stream';
import { taskDocument } from '../../../test/support/task-documents.js';
import { MAX_TASK_BYTES, readTaskPage } from './task-page.js';

const body = (entries: unknown[]) =>
  Readable.from([Buffer.from(JSON.stringify(entries))]);

describe('readTaskPage', () => {
  it('keeps the id of an oversize document only when it is a usable one', async () => {
    const huge = { text: 'x'.repeat(MAX_TASK_BYTES) };
    const { page } = await readTaskPage(
      body([
        taskDocument({ _id: 'big-task', content: huge }),
        taskDocument({ _id: '..', content: huge }),
      ]),
      10,
      64 * MAX_TASK_BYTES,
    );
    expect(page.tasks).toEqual([]);
    expect(page.rejected.map((entry) => entry.id)).toEqual([
      'big-task',
      undefined,
    ]);
  });
});
