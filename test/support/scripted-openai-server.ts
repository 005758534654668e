import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';

/** One scripted answer; `hang` never answers (for client timeouts). */
export interface ScriptedReply {
  status: number;
  /** Sent JSON-encoded (see `encode`). */
  body?: unknown;
  headers?: Record<string, string>;
  hang?: boolean;
}

export interface RecordedStubRequest<Body> {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** The JSON body, or undefined when there was none or it was not JSON. */
  body: Body | undefined;
  /** `performance.now()` when the request arrived. */
  receivedAt: number;
}

/** An OpenAI-style error answer, with the `param` and `code` OpenAI sets. */
export const errorReply = (
  status: number,
  message: string,
  extra: {
    code?: string;
    param?: string;
    headers?: Record<string, string>;
  } = {},
): ScriptedReply => ({
  status,
  headers: extra.headers,
  body: {
    error: {
      message,
      type: status === 429 ? 'requests' : 'invalid_request_error',
      param: extra.param ?? null,
      code: extra.code ?? null,
    },
  },
});

/**
 * What every scriptable OpenAI-compatible stub on 127.0.0.1 shares: it
 * records every request, answers scripted replies first (`reply`), then
 * what the endpoint answers (`answer`), and holds answers back on request
 * (`hold`, `release`) to show how many requests a client has in flight.
 */
export abstract class ScriptedOpenAiServer<Body> {
  readonly requests: RecordedStubRequest<Body>[] = [];
  /** Most requests answered at once so far. */
  maxInFlight = 0;
  private inFlight = 0;
  private readonly scripted: ScriptedReply[] = [];
  private gate?: { opened: Promise<void>; open: () => void };
  private readonly hung = new Set<ServerResponse>();
  private readonly arrivals = new Set<() => void>();
  private readonly server: Server = createServer(
    (req, res) => void this.handle(req, res),
  );

  /** Listens on a free loopback port. */
  protected listen(): Promise<void> {
    return new Promise((resolve) =>
      this.server.listen(0, '127.0.0.1', resolve),
    );
  }

  /** What `OPENAI_BASE_URL` should be. */
  get baseUrl(): string {
    const { port } = this.server.address() as AddressInfo;
    return `http://127.0.0.1:${port}/v1`;
  }

  /** Answers the next requests with these, in order, then as usual. */
  reply(...replies: ScriptedReply[]): this {
    this.scripted.push(...replies);
    return this;
  }

  /** Holds every answer back until `release()`. */
  hold(): this {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    this.gate = { opened, open };
    return this;
  }

  release(): void {
    this.gate?.open();
    this.gate = undefined;
  }

  /** Resolves once `count` requests have arrived (bounded by the test's timeout). */
  waitForRequests(count: number): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (this.requests.length < count) return;
        this.arrivals.delete(check);
        resolve();
      };
      this.arrivals.add(check);
      check();
    });
  }

  async close(): Promise<void> {
    this.release();
    this.hung.forEach((res) => res.destroy());
    this.server.closeAllConnections();
    await new Promise((resolve) => this.server.close(resolve));
  }

  /** The bytes of a reply's body: JSON (a string too, as a JSON string). */
  protected encode(body: unknown): string {
    return JSON.stringify(body ?? {});
  }

  /** The endpoint's answer to a request nothing is scripted for. */
  protected abstract answer(request: RecordedStubRequest<Body>): ScriptedReply;

  private async handle(req: IncomingMessage, res: ServerResponse) {
    const raw = await readBody(req);
    let body: Body | undefined;
    try {
      body = raw ? (JSON.parse(raw) as Body) : undefined;
    } catch {
      body = undefined;
    }
    const request: RecordedStubRequest<Body> = {
      method: req.method ?? '',
      path: (req.url ?? '').split('?')[0],
      headers: req.headers,
      body,
      receivedAt: performance.now(),
    };
    this.requests.push(request);
    this.arrivals.forEach((check) => check());
    this.inFlight += 1;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      await this.gate?.opened;
      const reply = this.scripted.shift() ?? this.answer(request);
      if (reply.hang) {
        this.hung.add(res);
        return;
      }
      res.writeHead(reply.status, {
        'content-type': 'application/json',
        ...reply.headers,
      });
      res.end(this.encode(reply.body));
    } finally {
      this.inFlight -= 1;
    }
  }
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
