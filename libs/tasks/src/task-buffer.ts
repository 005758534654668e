import { Inject, Injectable, Logger } from '@nestjs/common';
import type { TaskPage } from '@app/api-client';
import { ServiceConfig } from '@app/config';
import {
  LIFECYCLE_TIMINGS,
  type LifecycleTimings,
} from './lifecycle-timings.js';
import { inShard } from './shard.js';
import { type TakenTask, idOf } from './taken-task.js';
import type { RunResult } from './task-outcome.js';

/**
 * A listed task waiting for a free slot. It keeps the cycle of the poll
 * that listed it: its log lines carry that cycle, not the one current when
 * a slot frees.
 */
export interface BufferedTask {
  taken: TakenTask;
  cycle: number;
}

/** What the buffer made of one page. */
export interface PageIntake {
  /** Entries buffered, to be claimed as slots free. */
  buffered: number;
  /** Entries naming a task this replica is running or has buffered already. */
  ours: number;
}

/** What the buffer is told about the tasks outside it. */
export interface Outside {
  /** Tasks running here: listed again while they are being claimed. */
  running: { has(id: string): boolean };
  /** Tasks not to be taken again for a reason of the caller's (a run-once's releases). */
  excluded: (id: string) => boolean;
}

/** Ids remembered as not to be taken again; the oldest are forgotten first. */
const REMEMBERED_REFUSALS = 10_000;

/**
 * Tasks listed by polls and not claimed yet, at most PREFETCH_LIMIT beyond
 * the free slots. Decides which entries of a page may be taken: each task
 * once, none already running or buffered here, only this replica's shard,
 * none the API refused this replica before.
 */
@Injectable()
export class TaskBuffer {
  private readonly logger = new Logger(TaskBuffer.name);
  private readonly maxAgeMs: number;
  private readonly settings: ServiceConfig['tasks'];
  private entries: BufferedTask[] = [];
  /** The ids of `entries`, for dedupe without a scan. */
  private readonly ids = new Set<string>();
  /** When the buffer last went from empty to holding entries. */
  private filledAt = 0;
  /**
   * Tasks the API will not let this replica work on: a claim it refused, a
   * task that is gone, reports it refused. Taking them again would only
   * repeat the refusal at every poll (a refusal is not an outage).
   */
  private readonly refused = new Set<string>();

  constructor(
    config: ServiceConfig,
    @Inject(LIFECYCLE_TIMINGS) private readonly timings: LifecycleTimings,
  ) {
    this.settings = config.tasks;
    this.maxAgeMs = config.tasks.pollingIntervalMs;
  }

  get size(): number {
    return this.entries.length;
  }

  /** PREFETCH_LIMIT minus what is buffered. */
  get freeRoom(): number {
    return this.settings.prefetchLimit - this.entries.length;
  }

  /** Buffers the entries of a page this replica may take. */
  admit(page: TaskPage, cycle: number, outside: Outside): PageIntake {
    if (this.entries.length === 0) this.filledAt = this.timings.now();
    let buffered = 0;
    let ours = 0;
    // A page listing a task twice must not have it claimed, run and
    // reported twice: the first entry with an id is the one taken.
    const onPage = new Set<string>();
    let duplicates = 0;
    const add = (taken: TakenTask) => {
      const id = idOf(taken);
      if (onPage.has(id)) {
        duplicates++;
        return;
      }
      onPage.add(id);
      if (this.ids.has(id) || outside.running.has(id)) {
        ours++;
        return;
      }
      if (
        outside.excluded(id) ||
        this.refused.has(id) ||
        !inShard(id, this.settings.shard)
      )
        return;
      this.entries.push({ taken, cycle });
      this.ids.add(id);
      buffered++;
    };
    for (const task of page.tasks) add({ kind: 'valid', task });
    for (const entry of page.rejected) {
      if (entry.id === undefined) {
        this.logger.warn(
          { cycle },
          `skipped a pending entry without a usable id: ${entry.reasons.join('; ')}`,
        );
      } else {
        add({ kind: 'invalid', id: entry.id, reasons: entry.reasons });
      }
    }
    if (duplicates > 0)
      this.logger.warn(
        { cycle },
        `the page listed ${duplicates} duplicate entries of tasks already on it; each task is taken once`,
      );
    return { buffered, ours };
  }

  /** The oldest buffered task, now to be claimed. */
  take(): BufferedTask | undefined {
    const next = this.entries.shift();
    if (next) this.ids.delete(idOf(next.taken));
    return next;
  }

  /**
   * Called once per polling interval: a buffer filled more than an interval
   * ago is dropped whole, since other workers may have taken its tasks.
   */
  expire(): void {
    if (
      this.entries.length > 0 &&
      this.timings.now() - this.filledAt > this.maxAgeMs
    )
      this.clear();
  }

  /** Drops every buffered task; they were never claimed, so they stay pending in the API. */
  clear(): void {
    this.entries = [];
    this.ids.clear();
  }

  /** Remembers a task the API will not let this replica work on. */
  recordResult(id: string, result: RunResult): void {
    const refused =
      result.kind === 'gone' ||
      (result.kind === 'not_claimed' && result.refused) ||
      (result.kind === 'finished' && result.outcome.kind === 'abandoned');
    if (!refused) return;
    this.refused.add(id);
    if (this.refused.size > REMEMBERED_REFUSALS)
      this.refused.delete(this.refused.values().next().value!);
  }
}
