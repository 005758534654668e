import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export const ROOT = resolve(import.meta.dirname, '../..');
export const SANDBOX_ENTRY = join(ROOT, 'dist/apps/sandbox/main.js');
export const SERVICE_ENTRY = join(ROOT, 'dist/apps/ai-task-processor/main.js');

/** Output kept per process for error messages; the service logs a line per task. */
const KEPT_OUTPUT = 16 * 1024;

/** Every child this run started: killed on any exit, even a crash of the bench. */
const children = new Set<ChildProcess>();

function killAll(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null)
      child.kill('SIGKILL');
  }
}

process.once('exit', killAll);
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    killAll();
    process.exit(130);
  });
}

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A child process with the tail of its output and its JSON log lines awaited on demand. */
export class BenchProcess {
  readonly child: ChildProcess;
  readonly exited: Promise<ExitStatus>;
  private tail = '';
  private partial = '';
  private readonly watchers = new Set<(line: string) => void>();

  constructor(child: ChildProcess) {
    this.child = child;
    children.add(child);
    const onChunk = (chunk: string) => {
      this.tail = (this.tail + chunk).slice(-KEPT_OUTPUT);
      const lines = (this.partial + chunk).split('\n');
      this.partial = (lines.pop() ?? '').slice(-KEPT_OUTPUT);
      for (const line of lines) for (const watch of this.watchers) watch(line);
    };
    child.stdout?.setEncoding('utf8').on('data', onChunk);
    child.stderr?.setEncoding('utf8').on('data', onChunk);
    this.exited = new Promise((resolveExit) =>
      child.once('exit', (code, signal) => {
        children.delete(child);
        resolveExit({ code, signal });
      }),
    );
  }

  get pid(): number {
    return this.child.pid!;
  }

  get output(): string {
    return this.tail;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The first JSON line that matches, within `timeoutMs`; rejects when the process exits first. */
  waitForJson(
    match: (record: Record<string, unknown>) => boolean,
    timeoutMs: number,
  ): Promise<Record<string, unknown>> {
    return new Promise((resolveWait, rejectWait) => {
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        this.watchers.delete(watch);
        settle();
      };
      const watch = (line: string) => {
        if (!line.startsWith('{')) return;
        let record: Record<string, unknown>;
        try {
          record = JSON.parse(line) as Record<string, unknown>;
        } catch {
          return;
        }
        if (match(record)) finish(() => resolveWait(record));
      };
      const timer = setTimeout(
        () =>
          finish(() =>
            rejectWait(
              new Error(
                `no expected line within ${timeoutMs} ms:\n${this.tail}`,
              ),
            ),
          ),
        timeoutMs,
      );
      this.watchers.add(watch);
      void this.exited.then(({ code, signal }) =>
        finish(() =>
          rejectWait(
            new Error(
              `process exited (${code ?? signal}) before the expected line:\n${this.tail}`,
            ),
          ),
        ),
      );
    });
  }

  /** SIGTERM, then SIGKILL after `timeoutMs`. */
  async stop(timeoutMs = 15_000): Promise<ExitStatus> {
    if (this.running) this.child.kill('SIGTERM');
    const timer = setTimeout(() => this.child.kill('SIGKILL'), timeoutMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Starts a built entry point on this machine's Node with exactly `env`
 * (plus PATH), in an empty directory so that no `.env` file is read.
 */
export function startProcess(
  entry: string,
  env: Record<string, string>,
  args: readonly string[] = [],
  nodeArgs: readonly string[] = [],
): BenchProcess {
  const cwd = mkdtempSync(join(tmpdir(), 'ai-task-processor-bench-'));
  const child = spawn(process.execPath, [...nodeArgs, entry, ...args], {
    cwd,
    env: { PATH: process.env.PATH ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.once('exit', () => rmSync(cwd, { recursive: true, force: true }));
  return new BenchProcess(child);
}
