import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * Stands between the service and a real token endpoint and writes down every
 * access token issued, so that a test can look for them where they must not
 * be (logs, metrics). Requests and answers pass through unchanged.
 */
export class RecordingTokenProxy {
  readonly issued: string[] = [];
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(tokenUrl: string): Promise<RecordingTokenProxy> {
    let proxy: RecordingTokenProxy | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        const headers: Record<string, string> = {};
        for (const name of ['authorization', 'content-type', 'accept'])
          if (typeof req.headers[name] === 'string')
            headers[name] = req.headers[name];
        void fetch(tokenUrl, {
          method: req.method,
          headers,
          body: req.method === 'POST' ? Buffer.concat(chunks) : undefined,
        }).then(
          async (answer) => {
            const body = await answer.text();
            try {
              const token = (JSON.parse(body) as { access_token?: unknown })
                .access_token;
              if (typeof token === 'string') proxy?.issued.push(token);
            } catch {
              // not JSON: an error page passes through as it is
            }
            res.writeHead(answer.status, {
              'content-type':
                answer.headers.get('content-type') ?? 'application/json',
            });
            res.end(body);
          },
          () => {
            res.writeHead(502);
            res.end();
          },
        );
      });
    });
    await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
    const { port } = server.address() as AddressInfo;
    proxy = new RecordingTokenProxy(
      server,
      `http://127.0.0.1:${port}/oauth2/token`,
    );
    return proxy;
  }

  close(): Promise<void> {
    return new Promise((closed) => {
      this.server.closeAllConnections();
      this.server.close(() => closed());
    });
  }
}
