import { Inject, Injectable, Logger } from '@nestjs/common';
import { ServiceConfig } from '@app/config';
import {
  LIFECYCLE_TIMINGS,
  type LifecycleTimings,
} from './lifecycle-timings.js';
import type { RunResult, TaskOutcomeKind } from './task-outcome.js';

export interface RunSummary {
  succeeded: number;
  failed: number;
  released: number;
  /** Left as the API has it: deleted, or every report refused (logged per task). */
  abandoned: number;
  elapsedMs: number;
  /** The API stayed unreachable: work may remain that this run could not take. */
  gaveUp: boolean;
}

export type RunTotals = Record<TaskOutcomeKind, number>;

/** In run-once mode, consecutive failed polls before giving up (exit 3). */
export const RUN_ONCE_POLL_ATTEMPTS = 5;

/** Where a run-once stands. A long-running service stays `taking`. */
type RunOnceState =
  /** Polls may still find work. */
  | { kind: 'taking' }
  /** A poll found nothing it could take while nothing ran or waited. */
  | { kind: 'drained' }
  /** The API stayed unreachable for RUN_ONCE_POLL_ATTEMPTS polls. */
  | { kind: 'gave_up' }
  /** The summary is out; nothing changes it any more. */
  | { kind: 'finished'; summary: RunSummary };

/**
 * Counts how the tasks taken ended (the shutdown line and the run-once
 * summary print the totals) and, with RUN_ONCE, says when the run is over:
 * drained, or given up, with nothing left running.
 */
@Injectable()
export class RunOnceTracker {
  private readonly logger = new Logger(RunOnceTracker.name);
  private readonly runOnce: boolean;
  private readonly startedAt: number;
  private readonly counts: RunTotals = {
    succeeded: 0,
    failed: 0,
    released: 0,
    abandoned: 0,
  };
  /** Run-once: tasks given back this run are not taken again. */
  private readonly releasedThisRun = new Set<string>();
  private state: RunOnceState = { kind: 'taking' };
  private readonly finished: Promise<RunSummary>;
  private finish: (summary: RunSummary) => void = () => {};

  constructor(
    config: ServiceConfig,
    @Inject(LIFECYCLE_TIMINGS) private readonly timings: LifecycleTimings,
  ) {
    this.runOnce = config.tasks.runOnce;
    this.startedAt = timings.now();
    this.finished = new Promise((resolve) => (this.finish = resolve));
  }

  /** Resolves once the run is over (only ever with RUN_ONCE). */
  completion(): Promise<RunSummary> {
    return this.finished;
  }

  get totals(): Readonly<RunTotals> {
    return this.counts;
  }

  /**
   * Run-once: polls go on without waiting for ticks until one finds
   * nothing to take. A long-running service polls for backlogs only.
   */
  get wantsMoreWork(): boolean {
    return this.runOnce && this.state.kind === 'taking';
  }

  /** A task this run must not take again. */
  excludes(id: string): boolean {
    return this.releasedThisRun.has(id);
  }

  record(id: string, result: RunResult): void {
    if (result.kind !== 'finished') return;
    this.counts[result.outcome.kind]++;
    // A long-running service takes a released task again at a later poll;
    // a run-once run does not, or it would spin on a provider that is down.
    if (this.runOnce && result.outcome.kind === 'released')
      this.releasedThisRun.add(id);
  }

  /** After each answered poll: `idle` when nothing runs or waits in the buffer. */
  polled(buffered: number, idle: boolean): void {
    if (!this.runOnce) return;
    if (this.state.kind !== 'taking' && this.state.kind !== 'drained') return;
    this.state =
      buffered === 0 && idle ? { kind: 'drained' } : { kind: 'taking' };
  }

  /**
   * After a failed or skipped poll, `failedPolls` failed in a row: true
   * when a run-once gives up (the API stayed unreachable).
   */
  givesUpAfter(failedPolls: number): boolean {
    if (!this.runOnce || failedPolls < RUN_ONCE_POLL_ATTEMPTS) return false;
    if (this.state.kind !== 'finished') {
      this.logger.error(`giving up after ${failedPolls} failed polls`);
      this.state = { kind: 'gave_up' };
    }
    return true;
  }

  /** Ends the run when it drained or gave up and nothing runs or polls any more. */
  settle(running: number, polling: boolean): void {
    if (!this.runOnce || running > 0 || polling) return;
    if (this.state.kind !== 'drained' && this.state.kind !== 'gave_up') return;
    const summary: RunSummary = {
      ...this.counts,
      elapsedMs: this.timings.now() - this.startedAt,
      gaveUp: this.state.kind === 'gave_up',
    };
    this.state = { kind: 'finished', summary };
    this.finish(summary);
  }
}
