import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const ROOT = resolve(import.meta.dirname, '../..');
export const SERVICE_ENTRY = join(ROOT, 'dist/apps/ai-task-processor/main.js');

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A process started from a built entry point, with its output captured. */
export class RunningProcess {
  private stdoutText = '';
  private stderrText = '';
  private readonly waiters = new Set<() => void>();
  readonly exited: Promise<ExitStatus>;

  constructor(readonly child: ChildProcess) {
    child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdoutText += chunk;
      this.waiters.forEach((wake) => wake());
    });
    child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderrText += chunk;
      this.waiters.forEach((wake) => wake());
    });
    this.exited = new Promise((resolveExit) =>
      child.once('exit', (code, signal) => {
        resolveExit({ code, signal });
        this.waiters.forEach((wake) => wake());
      }),
    );
  }

  get stdout(): string {
    return this.stdoutText;
  }

  get stderr(): string {
    return this.stderrText;
  }

  /** Every stdout line that parses as a JSON log record. */
  logRecords(): Record<string, unknown>[] {
    return this.stdoutText
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .flatMap((line) => {
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      });
  }

  /** Resolves with the first log record that matches, or rejects when the process exits first or time runs out. */
  waitForLog(
    match: (record: Record<string, unknown>) => boolean,
    timeoutMs = 20_000,
  ): Promise<Record<string, unknown>> {
    return new Promise((resolveWait, rejectWait) => {
      let exited = false;
      void this.exited.then(() => (exited = true));
      const check = () => {
        const found = this.logRecords().find(match);
        if (found) return finish(() => resolveWait(found));
        if (exited || this.child.exitCode !== null) {
          finish(() =>
            rejectWait(
              new Error(
                `process exited before the log line appeared:\n${this.stdoutText}\n${this.stderrText}`,
              ),
            ),
          );
        }
      };
      const timer = setTimeout(
        () =>
          finish(() =>
            rejectWait(
              new Error(
                `no matching log line within ${timeoutMs} ms:\n${this.stdoutText.slice(-4000)}`,
              ),
            ),
          ),
        timeoutMs,
      );
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.waiters.delete(check);
        settle();
      };
      this.waiters.add(check);
      check();
    });
  }

  /** Sends a signal and waits for the exit; kills after `timeoutMs`. */
  async stop(
    signal: NodeJS.Signals = 'SIGTERM',
    timeoutMs = 15_000,
  ): Promise<ExitStatus> {
    if (this.child.exitCode === null && this.child.signalCode === null)
      this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Starts a built entry point with exactly the given environment (plus PATH),
 * in an empty working directory so that no `.env` file is picked up.
 */
export function startProcess(
  entry: string,
  env: Record<string, string>,
  args: string[] = [],
): RunningProcess {
  const child = spawn(process.execPath, [entry, ...args], {
    cwd: mkdtempSync(join(tmpdir(), 'ai-task-processor-')),
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return new RunningProcess(child);
}

/** The service process, ready once its HTTP server listens; `port` is the one it bound. */
export async function startService(
  env: Record<string, string>,
  args: string[] = [],
): Promise<{ service: RunningProcess; port: number; baseUrl: string }> {
  const service = startProcess(
    SERVICE_ENTRY,
    { METRICS_PORT: '0', ...env },
    args,
  );
  const listening = await service.waitForLog(
    (record) => record.msg === 'http server listening',
  );
  const port = Number(listening.port);
  return { service, port, baseUrl: `http://127.0.0.1:${port}` };
}
