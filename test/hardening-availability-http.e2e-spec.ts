import { type Socket, connect } from 'node:net';
import { type Sandbox, startReferenceSandbox } from './support/sandbox.js';
import { startServiceAgainst } from './support/service-against-sandbox.js';
import type { RunningProcess } from './support/service-process.js';

/** A client that opens a request and sends its headers one byte at a time, never finishing them. */
function trickleHeaders(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('error', reject);
    socket.once('connect', () => {
      socket.off('error', reject);
      // Errors after the service closes the connection are expected.
      socket.on('error', () => {});
      // A valid request line, then one header whose value never ends.
      socket.write('GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
      const timer = setInterval(() => {
        if (socket.destroyed) clearInterval(timer);
        else socket.write('a');
      }, 200);
      socket.once('close', () => clearInterval(timer));
      resolve(socket);
    });
  });
}

describe("the service's HTTP server (built service against the sandbox)", () => {
  let sandbox: Sandbox;
  let service: RunningProcess | undefined;

  beforeEach(async () => {
    sandbox = await startReferenceSandbox();
  });
  afterEach(async () => {
    if (service) await service.stop('SIGKILL');
    service = undefined;
    await sandbox.close();
  });

  it('exits 0 within the grace period on SIGTERM although a client is still sending its headers', async () => {
    const started = await startServiceAgainst(sandbox, {
      env: { SHUTDOWN_TIMEOUT_SECONDS: '2' },
    });
    service = started.service;
    const slowClient = await trickleHeaders(started.port);
    try {
      // The headers are still arriving.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      expect(slowClient.destroyed).toBe(false);

      const signalledAt = Date.now();
      const exit = await service.stop('SIGTERM', 10_000);
      expect(exit).toEqual({ code: 0, signal: null });
      // 2 s of grace at most (nothing is running), and a few seconds of margin.
      expect(Date.now() - signalledAt).toBeLessThan(2_000 + 4_000);
    } finally {
      slowClient.destroy();
    }
  });

  it('sends no X-Powered-By, and answers unknown paths 404 logged at debug only', async () => {
    const started = await startServiceAgainst(sandbox, {
      env: { LOG_LEVEL: 'debug' },
    });
    service = started.service;

    const health = await fetch(`${started.baseUrl}/health`);
    expect(health.status).toBe(200);
    expect(health.headers.get('x-powered-by')).toBeNull();

    const unknown = await fetch(`${started.baseUrl}/wp-login.php`);
    await unknown.body?.cancel();
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('x-powered-by')).toBeNull();

    const line = await service.waitForLog(
      (record) =>
        (record.req as { url?: string } | undefined)?.url === '/wp-login.php',
    );
    // pino's levels: 20 is debug, 30 info.
    expect(line.level).toBe(20);
  });
});
