import type { IncomingMessage } from 'node:http';

/**
 * Reads a request's body without consuming it: the bytes read are put back
 * at the front of the stream before it can end, so that the next reader
 * (oidc-provider, which reads its own bodies) sees the request untouched.
 * Resolves `undefined` when the body is longer than `limit` (what was read
 * is put back, the rest stays unread) or the request fails. An empty body
 * whose end was only learnt while waiting (chunked) leaves the stream ended:
 * there is nothing to put back, and the caller answers such a request itself.
 */
export function peekBody(
  req: IncomingMessage,
  limit: number,
): Promise<Buffer | undefined> {
  // An empty body needs no reading (and listening on a finished empty stream would end it).
  if (
    req.headers['content-length'] === '0' ||
    req.readableEnded ||
    (req.complete && req.readableLength === 0)
  )
    return Promise.resolve(Buffer.alloc(0));
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (body: Buffer | undefined) => {
      if (done) return;
      done = true;
      req.off('readable', onReadable);
      req.off('error', onFailure);
      req.off('close', onFailure);
      // Before 'end' is emitted (a tick after the last read), unshift is allowed
      // and 'end' waits until the bytes put back have been read again.
      if (size > 0 && !req.destroyed) req.unshift(Buffer.concat(chunks, size));
      resolve(body);
    };
    const onReadable = () => {
      // Only read what is buffered: a read() on an empty, finished stream would end it.
      while (req.readableLength > 0) {
        const chunk = req.read() as Buffer | null;
        if (chunk === null) break;
        chunks.push(chunk);
        size += chunk.length;
        if (size > limit) return finish(undefined);
      }
      if (req.complete) finish(Buffer.concat(chunks, size));
    };
    // A client that goes away (or a broken request) leaves nothing to read.
    const onFailure = () => finish(undefined);
    req.on('readable', onReadable);
    req.once('error', onFailure);
    req.once('close', onFailure);
  });
}
