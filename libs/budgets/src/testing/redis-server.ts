import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A `redis-server` of a test's own, on loopback, keeping nothing on disk. */
export interface RedisServer {
  /** `redis://127.0.0.1:<port>/0`. */
  url: string;
  port: number;
  /** Stops the server (its data is gone) and removes its folder. */
  stop(): Promise<void>;
}

const INSTALL_HINT =
  'the budget tests need redis-server: apt-get install redis-server (Debian, Ubuntu), or brew install redis';
const READY = 'Ready to accept connections';
/** A start that takes longer has gone wrong; the output says how. */
const START_TIMEOUT_MS = 10_000;

/** A port nothing listens on now, on loopback. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === 'string') {
    throw new Error('no loopback port could be found');
  }
  return address.port;
}

/**
 * Starts `redis-server` on `port` (a free one by default; pass a stopped
 * server's port to bring "the same Redis" back, empty), bound to 127.0.0.1,
 * with no snapshots and no append-only file, in a fresh temporary folder.
 * Resolves once it accepts connections.
 * @throws when redis-server is not installed (naming the package) or does not start.
 */
export async function startRedisServer(
  options: { port?: number } = {},
): Promise<RedisServer> {
  const port = options.port ?? (await freePort());
  const dir = mkdtempSync(join(tmpdir(), 'budgets-redis-'));
  const child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--loglevel',
      'notice',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  try {
    await ready(child);
  } catch (error) {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    url: `redis://127.0.0.1:${port}/0`,
    port,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        const exited = new Promise((resolve) => child.once('exit', resolve));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Resolves when the server says it is ready; rejects, with its output, when it ends or takes too long. */
function ready(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    const fail = (message: string) => {
      clearTimeout(timer);
      reject(new Error(`${message}\n${output}`.trim()));
    };
    const timer = setTimeout(
      () => fail(`redis-server did not start within ${START_TIMEOUT_MS} ms`),
      START_TIMEOUT_MS,
    );
    const listen = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes(READY)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', listen);
    child.stderr?.on('data', listen);
    child.once('error', (error: NodeJS.ErrnoException) =>
      fail(
        error.code === 'ENOENT'
          ? `redis-server was not found on PATH: ${INSTALL_HINT}`
          : `redis-server could not be started: ${error.message}`,
      ),
    );
    child.once('exit', (code, signal) =>
      fail(
        `redis-server ended before it was ready (${signal ?? `exit ${code}`})`,
      ),
    );
  });
}
