import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { text } from 'node:stream/consumers';
import { peekBody } from './peek-body.js';

/** A server that peeks at each body, then reads it again as the next reader would. */
function peekingServer(limit: number): Promise<Server> {
  const server = createServer((req, res) => {
    void (async () => {
      const peeked = await peekBody(req, limit);
      const readable = req.readable;
      const again = await text(req);
      res.setHeader('content-type', 'application/json');
      res.end(
        JSON.stringify({
          peeked: peeked?.toString('utf8') ?? null,
          readable,
          again,
        }),
      );
    })();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(server)),
  );
}

function send(
  server: Server,
  chunks: string[],
  chunked: boolean,
): Promise<Record<string, unknown>> {
  const { port } = server.address() as AddressInfo;
  const body = chunks.join('');
  return new Promise((resolve, reject) => {
    const req = request(
      {
        port,
        host: '127.0.0.1',
        method: 'POST',
        path: '/',
        headers: chunked
          ? { 'transfer-encoding': 'chunked' }
          : { 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        void text(res).then((answer) => resolve(JSON.parse(answer)), reject);
      },
    );
    req.on('error', reject);
    let i = 0;
    const next = () => {
      if (i === chunks.length) return req.end();
      req.write(chunks[i++]);
      setTimeout(next, 5);
    };
    next();
  });
}

describe('peekBody', () => {
  let server: Server;

  beforeAll(async () => {
    server = await peekingServer(16);
  });
  afterAll(
    () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
      }),
  );

  it.each([
    ['with a length', ['grant_type=x'], false],
    ['chunked, in pieces', ['grant', '_type', '=x'], true],
    ['empty, with a length', [], false],
  ])('leaves a body %s for the next reader', async (_, chunks, chunked) => {
    const body = chunks.join('');
    expect(await send(server, chunks, chunked)).toEqual({
      peeked: body,
      readable: true,
      again: body,
    });
  });

  it('reads an empty chunked body as empty (the stream may have ended)', async () => {
    expect(await send(server, [], true)).toMatchObject({
      peeked: '',
      again: '',
    });
  });

  it('gives up past the limit, leaving every byte to the next reader', async () => {
    const chunks = ['0123456789', 'abcdefghij', 'klmnop'];
    expect(await send(server, chunks, true)).toEqual({
      peeked: null,
      readable: true,
      again: chunks.join(''),
    });
  });
});
