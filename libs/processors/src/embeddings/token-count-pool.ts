import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
} from '@nestjs/common';
import type { Worker } from 'node:worker_threads';
import {
  START_TOKEN_COUNT_THREAD,
  TOKEN_COUNT_LIMITS,
} from '../processors.constants.js';
import {
  type StartTokenCountThread,
  type TokenCountReply,
} from './token-count-thread.js';

/** What counting a text's tokens came to. */
export type TokenCount =
  | { kind: 'counted'; tokens: number }
  | { kind: 'over_limit' }
  /** The text took longer than `timeoutMs` to count: its thread was stopped. */
  | { kind: 'too_slow'; timeoutMs: number };

export interface TokenCountLimits {
  /**
   * Texts up to this many characters, without a run longer than
   * `inlineMaxRun`, are counted on the event loop. The tokenizer's merge is
   * quadratic in the length of a run without a space: 2,000 characters in
   * runs of 64 take about 2 ms at worst, and the common case (a sentence, a
   * review, a paragraph) never pays for a thread.
   */
  inlineMaxCharacters: number;
  /**
   * The longest run of spaces or of non-spaces counted on the event loop.
   * It also keeps the tokenizer's cache of merged pieces (100,000 of them,
   * shared by the whole process) small: a few hundred bytes an entry at
   * most, where 1,000-character pieces take 5.6 KB each.
   */
  inlineMaxRun: number;
  /** Threads counting longer texts, one text each at a time. */
  threads: number;
  /** The longest a thread may spend on one text before it is stopped. */
  timeoutMs: number;
  /** A thread idle this long is stopped, its memory returned; the next long text starts one. */
  idleMs: number;
}

/**
 * One thread: long texts are rare (the real API takes at most 10,000
 * characters), and a second one would compete with the event loop for a
 * small container's cores. 5 s: a text of 1,048,576 characters of prose is
 * counted in well under a second; only runs of about 100,000 characters
 * without a space take longer, far beyond any real text.
 */
export const DEFAULT_TOKEN_COUNT_LIMITS: TokenCountLimits = {
  inlineMaxCharacters: 2_000,
  inlineMaxRun: 64,
  threads: 1,
  timeoutMs: 5_000,
  idleMs: 60_000,
};

/** Shutdown came first: the task is released, not failed. */
export class TokenCountingStopped extends Error {
  readonly transient = true;

  constructor() {
    super('token counting stopped: the service is shutting down');
  }
}

interface Job {
  text: string;
  limit: number;
  resolve: (count: TokenCount) => void;
  reject: (error: Error) => void;
}

/** A thread, started on demand, and the job it works on. */
interface Lane {
  worker?: Worker;
  job?: Job;
  timeout?: NodeJS.Timeout;
  idle?: NodeJS.Timeout;
}

/**
 * Counts the tokens of long texts in worker threads, so that no text blocks
 * the event loop. Texts queue for a free thread; each gets at most
 * `timeoutMs` of it, after which the thread is stopped and replaced. Threads
 * are started when needed and stopped when idle or at shutdown.
 */
@Injectable()
export class TokenCountPool implements OnApplicationShutdown {
  private readonly logger = new Logger(TokenCountPool.name);
  private readonly lanes: Lane[];
  private readonly queue: Job[] = [];
  private stopped = false;

  constructor(
    @Inject(TOKEN_COUNT_LIMITS) private readonly limits: TokenCountLimits,
    @Inject(START_TOKEN_COUNT_THREAD)
    private readonly startThread: StartTokenCountThread,
  ) {
    this.lanes = Array.from({ length: limits.threads }, () => ({}));
  }

  /** Rejects only when the thread failed (a bug) or at shutdown (`TokenCountingStopped`). */
  countWithin(text: string, limit: number): Promise<TokenCount> {
    if (this.stopped) return Promise.reject(new TokenCountingStopped());
    return new Promise((resolve, reject) => {
      this.queue.push({ text, limit, resolve, reject });
      this.dispatch();
    });
  }

  /** After the lifecycle has finished or released its tasks: nothing waits for a count any more. */
  async onApplicationShutdown(): Promise<void> {
    this.stopped = true;
    for (const job of this.queue.splice(0))
      job.reject(new TokenCountingStopped());
    await Promise.all(
      this.lanes.map((lane) => {
        lane.job?.reject(new TokenCountingStopped());
        return this.stopThread(lane);
      }),
    );
  }

  private dispatch(): void {
    for (const lane of this.lanes) {
      if (this.queue.length === 0) return;
      if (!lane.job) this.run(lane, this.queue.shift()!);
    }
  }

  private run(lane: Lane, job: Job): void {
    clearTimeout(lane.idle);
    lane.job = job;
    let worker: Worker;
    try {
      worker = lane.worker ??= this.start(lane);
    } catch (error) {
      // No thread to be had (a broken build): a bug, for this text and the next.
      lane.job = undefined;
      job.reject(error instanceof Error ? error : new Error(String(error)));
      return;
    }
    // Only a thread at work may keep the process alive.
    worker.ref();
    lane.timeout = setTimeout(() => {
      // The thread is given up first: the next text gets a fresh one.
      void this.stopThread(lane);
      job.resolve({ kind: 'too_slow', timeoutMs: this.limits.timeoutMs });
      this.dispatch();
    }, this.limits.timeoutMs);
    worker.postMessage({ text: job.text, limit: job.limit });
  }

  private start(lane: Lane): Worker {
    const worker = this.startThread();
    worker.on('message', ({ tokens }: TokenCountReply) => {
      if (lane.worker !== worker) return;
      this.finish(
        lane,
        tokens === false ? { kind: 'over_limit' } : { kind: 'counted', tokens },
      );
    });
    const lost = (reason: string) => {
      if (lane.worker !== worker) return;
      lane.worker = undefined;
      const { job } = lane;
      this.release(lane);
      job?.reject(new Error(`the token counting thread ${reason}`));
      this.dispatch();
    };
    worker.on('error', (error) => lost(`failed: ${error.message}`));
    worker.on('exit', (code) => lost(`exited with code ${code}`));
    return worker;
  }

  private finish(lane: Lane, count: TokenCount): void {
    const { job } = lane;
    this.release(lane);
    job?.resolve(count);
    if (this.queue.length > 0) return this.dispatch();
    if (lane.worker && !this.stopped) {
      lane.worker.unref();
      lane.idle = setTimeout(
        () => void this.stopThread(lane),
        this.limits.idleMs,
      ).unref();
    }
  }

  private release(lane: Lane): void {
    clearTimeout(lane.timeout);
    lane.timeout = undefined;
    lane.job = undefined;
  }

  private async stopThread(lane: Lane): Promise<void> {
    clearTimeout(lane.idle);
    const { worker } = lane;
    if (!worker) return;
    // Forgotten first, so that its exit is not taken for a failure.
    lane.worker = undefined;
    this.release(lane);
    try {
      await worker.terminate();
    } catch (error) {
      this.logger.warn(`stopping a token counting thread: ${String(error)}`);
    }
  }
}
