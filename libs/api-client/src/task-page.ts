import type { Readable } from 'node:stream';
import { type ArrayRead, readJsonArray } from './json-array-splitter.js';
import { checkTaskEntry, usableTaskId } from './task-document.js';
import type { TaskPage } from './tasks-api-client.js';

/** A task document larger than this is rejected unread (1 MiB). */
export const MAX_TASK_BYTES = 1024 * 1024;

export interface PageRead {
  page: TaskPage;
  /** How reading ended; `byte_cap`: the answer was longer than `maxBytes`. */
  end: ArrayRead['end'];
  entries: number;
}

/**
 * Reads a JSON array of task documents: at most `maxEntries` of them and at
 * most `maxBytes` of the body, each entry checked on its own.
 * @throws MalformedArrayError when the body is not a JSON array
 */
export async function readTaskPage(
  body: Readable,
  maxEntries: number,
  maxBytes: number,
): Promise<PageRead> {
  const read = await readJsonArray(body as AsyncIterable<Buffer>, {
    maxElements: maxEntries,
    maxBytes,
    maxElementBytes: Math.min(MAX_TASK_BYTES, maxBytes),
  });
  const page: TaskPage = { tasks: [], rejected: [] };
  for (const element of read.elements) {
    if (element.kind === 'oversize') {
      const reason = `the task document is ${element.bytes} bytes, more than the ${MAX_TASK_BYTES} bytes a task may take`;
      page.rejected.push(
        usableTaskId(element.id)
          ? { id: element.id, reasons: [reason] }
          : { reasons: [reason] },
      );
      continue;
    }
    const checked = checkTaskEntry(element.value);
    if (checked.kind === 'valid') page.tasks.push(checked.task);
    else page.rejected.push(checked.rejected);
  }
  return { page, end: read.end, entries: read.elements.length };
}
