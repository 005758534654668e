import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';

export interface ExitStatus {
  code: number | null;
  signal: NodeJS.Signals | null;
}

type LogRecord = Record<string, unknown>;

const TAIL_LINES = 20;

/**
 * A Node child process (the sandbox or the service) whose stdout and stderr go
 * to a log file, so that the terminal shows the demo's progress and not JSON
 * logs. Lines that are JSON records are also offered to `waitForRecord`.
 */
export class Child {
  readonly name: string;
  readonly logPath: string;
  readonly exited: Promise<ExitStatus>;
  private readonly process: ChildProcess;
  private readonly log: WriteStream;
  private readonly tail: string[] = [];
  private readonly watchers = new Set<(record: LogRecord) => void>();
  private partial = '';

  constructor(
    name: string,
    entry: string,
    args: string[],
    env: NodeJS.ProcessEnv,
    cwd: string,
    logPath: string,
  ) {
    this.name = name;
    this.logPath = logPath;
    this.log = createWriteStream(logPath);
    // Its own process group: a Ctrl-C in the terminal reaches the demo only,
    // which then stops each child once, in order.
    this.process = spawn(process.execPath, [entry, ...args], {
      cwd,
      env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    this.process.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
      this.log.write(chunk);
      this.scan(chunk);
    });
    this.process.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
      this.log.write(chunk);
      this.remember(chunk.split('\n'));
    });
    this.exited = new Promise((resolveExit) => {
      this.process.once('error', (error) => {
        this.remember([error.message]);
        resolveExit({ code: null, signal: null });
      });
      this.process.once('exit', (code, signal) =>
        resolveExit({ code, signal }),
      );
    });
    void this.exited.then(() => this.log.end());
  }

  get running(): boolean {
    return this.process.exitCode === null && this.process.signalCode === null;
  }

  /** The last lines the child wrote, for a message when it failed. */
  lastLines(): string {
    return this.tail.join('\n');
  }

  /** The first JSON line that matches; rejects when the child exits first or time runs out. */
  waitForRecord(
    match: (record: LogRecord) => boolean,
    timeoutMs: number,
  ): Promise<LogRecord> {
    return new Promise((resolveRecord, rejectRecord) => {
      const watcher = (record: LogRecord) => {
        if (!match(record)) return;
        finish();
        resolveRecord(record);
      };
      const timer = setTimeout(() => {
        finish();
        rejectRecord(
          new Error(
            `the ${this.name} did not start within ${timeoutMs / 1000} s`,
          ),
        );
      }, timeoutMs);
      const finish = () => {
        clearTimeout(timer);
        this.watchers.delete(watcher);
      };
      this.watchers.add(watcher);
      void this.exited.then(({ code, signal }) => {
        if (!this.watchers.has(watcher)) return;
        finish();
        rejectRecord(
          new Error(
            `the ${this.name} exited before it was ready (${signal ?? `exit code ${code}`})`,
          ),
        );
      });
    });
  }

  /** Sends `signal` (once) and waits for the exit; kills it after `killAfterMs`. */
  async stop(signal: NodeJS.Signals, killAfterMs: number): Promise<ExitStatus> {
    if (this.running) this.process.kill(signal);
    const timer = setTimeout(() => this.kill(), killAfterMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  signal(signal: NodeJS.Signals): void {
    if (this.running) this.process.kill(signal);
  }

  /** The last resort, also used when the demo itself ends abruptly. */
  kill(): void {
    if (this.running) this.process.kill('SIGKILL');
  }

  private scan(chunk: string): void {
    const lines = (this.partial + chunk).split('\n');
    this.partial = lines.pop() ?? '';
    this.remember(lines);
    if (this.watchers.size === 0) return;
    for (const line of lines) {
      if (!line.startsWith('{')) continue;
      let record: LogRecord;
      try {
        record = JSON.parse(line) as LogRecord;
      } catch {
        continue;
      }
      for (const watcher of this.watchers) watcher(record);
    }
  }

  private remember(lines: string[]): void {
    for (const line of lines) if (line.trim()) this.tail.push(line);
    this.tail.splice(0, Math.max(0, this.tail.length - TAIL_LINES));
  }
}
