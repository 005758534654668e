import type { Readable } from 'node:stream';

const MAX_ERROR_BODY_BYTES = 16 * 1024;

/** Reads at most `cap` bytes of a body; a longer body is cut off (destroyed). */
async function readPrefix(body: Readable, cap: number): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    parts.push(chunk);
    size += chunk.length;
    if (size >= cap) break;
  }
  return Buffer.concat(parts).subarray(0, cap);
}

/**
 * Reads a body nobody needs to its end, so that the keep-alive connection
 * can carry the next request; past `cap` bytes the connection is dropped.
 */
export async function drain(
  body: Readable,
  cap = MAX_ERROR_BODY_BYTES,
): Promise<void> {
  let size = 0;
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size >= cap) break;
    }
  } catch {
    // Nothing was expected of it.
  }
}

/** `: <message>` of a Nest-style error answer (`{statusCode, message}`), or nothing. */
export async function errorDetail(body: Readable): Promise<string> {
  try {
    const answer: unknown = JSON.parse(
      (await readPrefix(body, MAX_ERROR_BODY_BYTES)).toString('utf8'),
    );
    const message = (answer as { message?: unknown } | null)?.message;
    const text = Array.isArray(message) ? message.join('; ') : message;
    return typeof text === 'string' && text !== ''
      ? `: ${text.slice(0, 300)}`
      : '';
  } catch {
    return '';
  }
}
