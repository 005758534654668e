import type { Readable } from 'node:stream';

/** The most read of an answer nobody needs: its error message, or nothing. */
export const MAX_ERROR_BODY_BYTES = 16 * 1024;

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
