import {
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
  createServer,
} from 'node:http';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';

/** A request as the server saw it. */
export interface RecordedRequest {
  method: string;
  /** Path without the query string. */
  path: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  body: string;
  /** `performance.now()` when the request arrived. */
  at: number;
  /** The client's port: equal ports mean a reused (keep-alive) connection. */
  remotePort?: number;
  /** For a streamed answer: bytes written so far, and whether all were. */
  streamed?: { bytes: number; finished: boolean; clientLeft: boolean };
}

/** How to answer one request. */
export interface ScriptedReply {
  status?: number;
  headers?: Record<string, string>;
  /** Sent as JSON unless a string or a Buffer. */
  body?: unknown;
  /** Written chunk by chunk with backpressure; stops when the client goes away. */
  stream?: Iterable<string | Buffer> | AsyncIterable<string | Buffer>;
  /** Waits this long before answering. */
  delayMs?: number;
  /** Never answers: the client has to give up (or the server closes). */
  hang?: boolean;
  /** Drops the connection without answering. */
  drop?: boolean;
}

export type ScriptedAnswer =
  | ScriptedReply
  | ((request: RecordedRequest) => ScriptedReply | Promise<ScriptedReply>);

interface Route {
  method: string;
  path: RegExp;
}

/** `'PATCH /api/ai-tasks/:id'`: `:name` matches one path segment. */
function parseRoute(route: string): Route {
  const [method, path = ''] = route.split(' ');
  const pattern = path
    .split('/')
    .map((segment) =>
      segment.startsWith(':')
        ? '[^/]+'
        : segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'),
    )
    .join('/');
  return { method: method.toUpperCase(), path: new RegExp(`^${pattern}$`) };
}

const matches = (route: Route, request: RecordedRequest) =>
  route.method === request.method && route.path.test(request.path);

/**
 * A purpose-built HTTP server on 127.0.0.1 whose answers a test scripts:
 * standing answers per route (`on`), one-shot answers that take precedence
 * (`once`: 503 three times, then the standing answer), slow, hanging,
 * dropped and endlessly streamed answers. Every request is recorded.
 * Unscripted routes answer 404.
 */
export class ScriptedServer {
  readonly requests: RecordedRequest[] = [];
  private readonly standing: { route: Route; answer: ScriptedAnswer }[] = [];
  private readonly queued: { route: Route; answers: ScriptedAnswer[] }[] = [];
  private readonly server: Server;

  private constructor() {
    this.server = createServer((req, res) => void this.handle(req, res));
  }

  static async start(): Promise<ScriptedServer> {
    const scripted = new ScriptedServer();
    await new Promise<void>((resolve) =>
      scripted.server.listen(0, '127.0.0.1', resolve),
    );
    return scripted;
  }

  get url(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}`;
  }

  /** The standing answer of a route (replaces an earlier one). */
  on(route: string, answer: ScriptedAnswer): this {
    const parsed = parseRoute(route);
    const index = this.standing.findIndex(
      ({ route: known }) =>
        known.method === parsed.method &&
        known.path.source === parsed.path.source,
    );
    if (index >= 0) this.standing.splice(index, 1);
    this.standing.push({ route: parsed, answer });
    return this;
  }

  /** One-shot answers for the next requests of a route, in order. */
  once(route: string, ...answers: ScriptedAnswer[]): this {
    this.queued.push({ route: parseRoute(route), answers: [...answers] });
    return this;
  }

  /** The recorded requests of a route. */
  requestsTo(route: string): RecordedRequest[] {
    const parsed = parseRoute(route);
    return this.requests.filter((request) => matches(parsed, request));
  }

  /** Forgets the script and the recorded requests. */
  reset(): void {
    this.requests.length = 0;
    this.standing.length = 0;
    this.queued.length = 0;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const url = new URL(req.url ?? '/', 'http://localhost');
    const request: RecordedRequest = {
      method: req.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
      at: performance.now(),
      remotePort: req.socket.remotePort,
    };
    this.requests.push(request);
    const answer = this.answerFor(request);
    const reply = typeof answer === 'function' ? await answer(request) : answer;
    if (reply.delayMs) await sleep(reply.delayMs);
    if (reply.hang) return;
    if (reply.drop) return void req.socket.destroy();
    if (reply.stream) return this.stream(request, res, reply);
    const { body } = reply;
    const isRaw = typeof body === 'string' || Buffer.isBuffer(body);
    res.writeHead(reply.status ?? 200, {
      ...(body !== undefined && !isRaw
        ? { 'content-type': 'application/json' }
        : {}),
      ...reply.headers,
    });
    res.end(
      body === undefined ? undefined : isRaw ? body : JSON.stringify(body),
    );
  }

  private answerFor(request: RecordedRequest): ScriptedAnswer {
    const queue = this.queued.find(
      (entry) => entry.answers.length > 0 && matches(entry.route, request),
    );
    if (queue) return queue.answers.shift()!;
    const standing = this.standing.find((entry) =>
      matches(entry.route, request),
    );
    return (
      standing?.answer ?? {
        status: 404,
        body: {
          message: `nothing scripted for ${request.method} ${request.path}`,
        },
      }
    );
  }

  private async stream(
    request: RecordedRequest,
    res: ServerResponse,
    reply: ScriptedReply,
  ) {
    const progress = { bytes: 0, finished: false, clientLeft: false };
    request.streamed = progress;
    const closed = new Promise<void>((resolve) =>
      res.once('close', () => {
        if (!res.writableFinished) progress.clientLeft = true;
        resolve();
      }),
    );
    res.writeHead(reply.status ?? 200, {
      'content-type': 'application/json',
      ...reply.headers,
    });
    for await (const chunk of reply.stream!) {
      if (res.destroyed) return;
      progress.bytes += Buffer.byteLength(chunk);
      if (!res.write(chunk)) await Promise.race([once(res, 'drain'), closed]);
    }
    if (res.destroyed) return;
    res.end();
    progress.finished = true;
  }
}
