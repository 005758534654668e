import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { RunningProcess } from './service-process.js';

/** The `prometheus` binary on PATH (Debian's package: .ci/run installs it), if any. */
export const PROMETHEUS_BINARY = (process.env.PATH ?? '')
  .split(delimiter)
  .map((dir) => join(dir, 'prometheus'))
  .find((path) => {
    try {
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });

export interface QueryResult {
  metric: Record<string, string>;
  value: [number, string];
}

/** A free loopback port: Prometheus cannot report the port it bound to 0. */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolvePort(port));
    });
  });
}

/**
 * Resolves once `check` answers a value other than undefined; polls every
 * `everyMs` and gives up after `timeoutMs` with the last error.
 */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  { timeoutMs = 20_000, everyMs = 250, what = 'condition' } = {},
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let lastError: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      lastError = error;
    }
    await new Promise((wake) => setTimeout(wake, everyMs));
  }
  throw new Error(
    `${what} not reached within ${timeoutMs} ms${lastError instanceof Error ? `: ${lastError.message}` : ''}`,
  );
}

/** A real Prometheus server on loopback with its own data directory. */
export class PrometheusServer {
  private constructor(
    readonly running: RunningProcess,
    readonly baseUrl: string,
    private readonly dataDir: string,
  ) {}

  /** Starts Prometheus with the config file given and waits until it is ready. */
  static async start(configFile: string): Promise<PrometheusServer> {
    if (!PROMETHEUS_BINARY) throw new Error('prometheus is not installed');
    const dataDir = mkdtempSync(join(tmpdir(), 'prometheus-data-'));
    const port = await freePort();
    const child = spawn(
      PROMETHEUS_BINARY,
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${dataDir}`,
        `--web.listen-address=127.0.0.1:${port}`,
        '--log.level=warn',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    const server = new PrometheusServer(
      new RunningProcess(child),
      `http://127.0.0.1:${port}`,
      dataDir,
    );
    try {
      await eventually(
        async () => {
          if (child.exitCode !== null)
            throw new Error(`prometheus exited:\n${server.running.stderr}`);
          const answer = await fetch(`${server.baseUrl}/-/ready`);
          return answer.ok ? true : undefined;
        },
        { what: 'prometheus ready' },
      );
    } catch (error) {
      await server.stop();
      throw error;
    }
    return server;
  }

  /** GET /api/v1/<path>; throws with Prometheus's error unless it answers success. */
  async api<T>(path: string, params: Record<string, string> = {}): Promise<T> {
    const url = new URL(`/api/v1/${path}`, this.baseUrl);
    for (const [key, value] of Object.entries(params))
      url.searchParams.set(key, value);
    const answer = (await (await fetch(url)).json()) as {
      status: string;
      data: T;
      error?: string;
    };
    if (answer.status !== 'success')
      throw new Error(`${path} ${JSON.stringify(params)}: ${answer.error}`);
    return answer.data;
  }

  /** An instant query's vector. */
  async query(expr: string): Promise<QueryResult[]> {
    const data = await this.api<{ resultType: string; result: QueryResult[] }>(
      'query',
      { query: expr },
    );
    return data.resultType === 'vector' ? data.result : [];
  }

  async stop(): Promise<void> {
    await this.running.stop('SIGTERM', 10_000);
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
