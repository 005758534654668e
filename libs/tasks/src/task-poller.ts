import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import type { Gauge } from 'prom-client';
import { type RejectedTask, type Task, TasksApiClient } from '@app/api-client';
import { ServiceConfig } from '@app/config';
import { InjectMetric, METRIC, ReadinessRegistry } from '@app/observability';
import { delay } from './abortable.js';
import {
  LIFECYCLE_TIMINGS,
  type LifecycleTimings,
  backoffDelay,
} from './lifecycle-timings.js';
import { inShard } from './shard.js';
import type { RunResult } from './task-outcome.js';
import { type TakenTask, TaskRunner } from './task-runner.js';

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

const POLL_INTERVAL = 'task-poll';
/** In run-once mode, consecutive failed polls before giving up (exit 3). */
const RUN_ONCE_POLL_ATTEMPTS = 5;
/** Ids remembered as not to be taken again; the oldest are forgotten first. */
const REMEMBERED_SKIPS = 10_000;

const idOf = (taken: TakenTask): string =>
  taken.kind === 'valid' ? taken.task.id : taken.id;

/**
 * Keeps the service busy: polls `/pending` for as much as it can hold
 * (free capacity plus the prefetch buffer), claims buffered tasks as slots
 * free, polls again as soon as the buffer runs dry while a backlog remains,
 * and otherwise waits for the interval. On shutdown it stops taking work,
 * lets running tasks finish within the grace period, then has the runners
 * release what is left.
 */
@Injectable()
export class TaskPoller
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly logger = new Logger(TaskPoller.name);
  private readonly settings: ServiceConfig['tasks'];
  private readonly running = new Map<string, Promise<void>>();
  private readonly abortRunners = new AbortController();
  private readonly stopRetries = new AbortController();
  private buffer: TakenTask[] = [];
  private bufferFilledAt = 0;
  private polling: Promise<void> | undefined;
  private backlogRemains = false;
  private lastPollFoundWork = true;
  /** Run-once: a poll found nothing to take while nothing was running. */
  private drained = false;
  private gaveUp = false;
  private stopped = false;
  private cycle = 0;
  private failedPolls = 0;
  private lastPollSucceededAt: number | undefined;
  private breakerReported = false;
  private readonly startedAt: number;
  private readonly totals = {
    succeeded: 0,
    failed: 0,
    released: 0,
    abandoned: 0,
  };
  /** Run-once: tasks given back this run are not taken again. */
  private readonly releasedThisRun = new Set<string>();
  /**
   * Tasks the API will not let this replica work on: a claim it refused,
   * a task that is gone, reports it refused. Taking them again would only
   * repeat the refusal at every poll (a refusal is not an outage).
   */
  private readonly refused = new Set<string>();
  private readonly runOnceDone: Promise<RunSummary>;
  private finishRunOnce: (summary: RunSummary) => void = () => {};

  constructor(
    config: ServiceConfig,
    private readonly api: TasksApiClient,
    private readonly runner: TaskRunner,
    private readonly scheduler: SchedulerRegistry,
    private readonly readiness: ReadinessRegistry,
    @Inject(LIFECYCLE_TIMINGS) private readonly timings: LifecycleTimings,
    @InjectMetric(METRIC.lastSuccessfulPoll)
    private readonly lastPollGauge: Gauge,
  ) {
    this.settings = config.tasks;
    this.startedAt = timings.now();
    this.runOnceDone = new Promise((resolve) => (this.finishRunOnce = resolve));
  }

  onApplicationBootstrap(): void {
    this.readiness.register('poll', () => this.checkRecentPoll());
    this.scheduler.addInterval(
      POLL_INTERVAL,
      setInterval(() => this.onTick(), this.settings.pollingIntervalMs),
    );
    void this.poll();
  }

  /** Run-once mode: resolves when nothing more can be taken and everything taken has ended. */
  completion(): Promise<RunSummary> {
    return this.runOnceDone;
  }

  /** Polls now (unless one runs): tasks just became pending, e.g. after a stale sweep. */
  wake(): void {
    void this.poll();
  }

  isRunning(taskId: string): boolean {
    return this.running.has(taskId);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopTakingWork();
    if (this.running.size > 0) {
      this.logger.log(
        `shutting down: waiting up to ${this.settings.shutdownTimeoutMs} ms for ${this.running.size} running task(s)`,
      );
      await this.waitForRunning(this.settings.shutdownTimeoutMs);
    }
    if (this.running.size > 0) {
      this.logger.warn(
        `grace period over: releasing ${this.running.size} unfinished task(s)`,
      );
      this.abortRunners.abort();
      await this.waitForRunning(this.timings.releaseGraceMs);
    }
    this.logger.log(
      `stopped: ${this.totals.succeeded} succeeded, ${this.totals.failed} failed, ${this.totals.released} released`,
    );
  }

  /** A second signal: give back every running task now. */
  releaseNow(): void {
    this.stopTakingWork();
    this.abortRunners.abort();
  }

  /**
   * The process is going down (a crash): gives back every running task at
   * once, and waits at most the release grace for the releases to be sent.
   */
  async releaseAll(): Promise<void> {
    this.releaseNow();
    await this.waitForRunning(this.timings.releaseGraceMs);
  }

  private stopTakingWork(): void {
    if (this.stopped) return;
    this.stopped = true;
    this.stopRetries.abort();
    if (this.scheduler.doesExist('interval', POLL_INTERVAL))
      this.scheduler.deleteInterval(POLL_INTERVAL);
    // Buffered tasks were never claimed: they are still pending in the API.
    this.buffer = [];
  }

  private async waitForRunning(timeoutMs: number): Promise<void> {
    const timeout = new AbortController();
    await Promise.race([
      Promise.allSettled(this.running.values()),
      delay(timeoutMs, timeout.signal),
    ]);
    timeout.abort();
  }

  private onTick(): void {
    if (
      this.buffer.length > 0 &&
      this.timings.now() - this.bufferFilledAt > this.settings.pollingIntervalMs
    ) {
      // Tasks buffered a whole interval ago may have been taken by others.
      this.buffer = [];
    }
    void this.poll();
  }

  /** Never overlaps: a poll requested while one runs joins it. */
  private poll(): Promise<void> {
    this.polling ??= this.pollOnce().finally(() => {
      this.polling = undefined;
      this.pump({ afterPoll: true });
    });
    return this.polling;
  }

  private async pollOnce(): Promise<void> {
    if (this.stopped) return;
    if (this.api.isBreakerOpen()) {
      if (!this.breakerReported)
        this.logger.warn(
          'tasks API circuit breaker open: polls are skipped until it half-opens',
        );
      this.breakerReported = true;
      this.schedulePollRetry();
      return;
    }
    this.breakerReported = false;
    const limit =
      this.settings.concurrencyLimit -
      this.running.size +
      (this.settings.prefetchLimit - this.buffer.length);
    if (limit <= 0) return;
    const cycle = ++this.cycle;
    let page;
    try {
      page = await this.api.fetchPending(limit);
    } catch (error) {
      this.failedPolls++;
      this.logger.warn(
        { cycle },
        `poll failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      this.schedulePollRetry();
      return;
    }
    this.failedPolls = 0;
    this.lastPollSucceededAt = this.timings.now();
    this.lastPollGauge.set(this.lastPollSucceededAt / 1000);

    const { taken, ours } = this.selectTakeable(
      page.tasks,
      page.rejected,
      cycle,
    );
    if (this.buffer.length === 0) this.bufferFilledAt = this.timings.now();
    this.buffer.push(...taken);
    // A full page means more may be waiting, also when its head was tasks we
    // are claiming right now; a page of only others' tasks (shards) does not.
    this.backlogRemains =
      page.tasks.length + page.rejected.length >= limit &&
      taken.length + ours > 0;
    this.lastPollFoundWork = taken.length > 0;
    this.drained =
      taken.length === 0 && this.running.size === 0 && this.buffer.length === 0;
    if (taken.length > 0)
      this.logger.debug({ cycle }, `poll: ${taken.length} task(s) to take`);
  }

  private selectTakeable(
    tasks: readonly Task[],
    rejected: readonly RejectedTask[],
    cycle: number,
  ): { taken: TakenTask[]; ours: number } {
    const known = new Set([...this.running.keys(), ...this.buffer.map(idOf)]);
    let ours = 0;
    // A page listing a task twice must not have it claimed, run and
    // reported twice: the first entry with an id is the one taken.
    const onPage = new Set<string>();
    let duplicates = 0;
    const takeable = (id: string) => {
      if (onPage.has(id)) {
        duplicates++;
        return false;
      }
      onPage.add(id);
      if (known.has(id)) ours++;
      return (
        !known.has(id) &&
        !this.releasedThisRun.has(id) &&
        !this.refused.has(id) &&
        inShard(id, this.settings.shard)
      );
    };
    const taken: TakenTask[] = [];
    for (const task of tasks) {
      if (takeable(task.id)) taken.push({ kind: 'valid', task });
    }
    for (const entry of rejected) {
      if (entry.id === undefined) {
        this.logger.warn(
          { cycle },
          `skipped a pending entry without a usable id: ${entry.reasons.join('; ')}`,
        );
      } else if (takeable(entry.id)) {
        taken.push({ kind: 'invalid', id: entry.id, reasons: entry.reasons });
      }
    }
    if (duplicates > 0)
      this.logger.warn(
        { cycle },
        `the page listed ${duplicates} duplicate entries of tasks already on it; each task is taken once`,
      );
    return { taken, ours };
  }

  private schedulePollRetry(): void {
    if (this.settings.runOnce && this.failedPolls >= RUN_ONCE_POLL_ATTEMPTS) {
      this.logger.error(`giving up after ${this.failedPolls} failed polls`);
      this.stopTakingWork();
      this.gaveUp = true;
      this.checkRunOnceDone();
      return;
    }
    const wait = Math.min(
      this.settings.pollingIntervalMs,
      backoffDelay(
        this.failedPolls,
        this.timings.pollRetryBaseMs,
        this.settings.pollingIntervalMs,
      ),
    );
    void delay(wait, this.stopRetries.signal).then((elapsed) => {
      if (elapsed) void this.poll();
    });
  }

  /**
   * Starts buffered tasks while slots are free; polls again when a backlog
   * remains. Right after a poll that took nothing, the next poll waits for a
   * task to finish instead, so that a page of tasks still being claimed
   * cannot spin the poller.
   */
  private pump({ afterPoll = false } = {}): void {
    while (
      !this.stopped &&
      this.running.size < this.settings.concurrencyLimit &&
      this.buffer.length > 0
    ) {
      this.start(this.buffer.shift()!);
    }
    const progressing = !afterPoll || this.lastPollFoundWork;
    const wantMore =
      progressing && (this.settings.runOnce || this.backlogRemains);
    if (
      !this.stopped &&
      !this.drained &&
      this.buffer.length === 0 &&
      wantMore &&
      !this.polling &&
      this.running.size < this.settings.concurrencyLimit
    ) {
      void this.poll();
    }
    this.checkRunOnceDone();
  }

  private start(taken: TakenTask): void {
    const id = idOf(taken);
    const run = this.runner
      .run(taken, this.cycle, this.abortRunners.signal)
      .then((result) => this.record(id, result))
      .catch((error: unknown) =>
        this.logger.error(
          { taskId: id },
          `task runner failed: ${String(error)}`,
        ),
      )
      .finally(() => {
        this.running.delete(id);
        this.pump();
      });
    this.running.set(id, run);
  }

  private record(id: string, result: RunResult): void {
    if (
      result.kind === 'gone' ||
      (result.kind === 'not_claimed' && result.refused) ||
      (result.kind === 'finished' && result.outcome.status === 'abandoned')
    )
      this.rememberRefused(id);
    if (result.kind !== 'finished') return;
    this.totals[result.outcome.status]++;
    // A long-running service takes a released task again at a later poll;
    // a run-once run does not, or it would spin on a provider that is down.
    if (this.settings.runOnce && result.outcome.status === 'released') {
      this.releasedThisRun.add(id);
    }
  }

  private rememberRefused(id: string): void {
    this.refused.add(id);
    if (this.refused.size > REMEMBERED_SKIPS)
      this.refused.delete(this.refused.values().next().value!);
  }

  private checkRunOnceDone(): void {
    if (!this.settings.runOnce || this.running.size > 0 || this.polling) return;
    if (!this.drained && !this.gaveUp) return;
    this.finishRunOnce({
      ...this.totals,
      elapsedMs: this.timings.now() - this.startedAt,
      gaveUp: this.gaveUp,
    });
  }

  private checkRecentPoll(): void {
    const maxAgeMs = Math.max(3 * this.settings.pollingIntervalMs, 60_000);
    if (this.lastPollSucceededAt === undefined)
      throw new Error('no poll of the tasks API has succeeded yet');
    const age = this.timings.now() - this.lastPollSucceededAt;
    if (age > maxAgeMs)
      throw new Error(
        `the last successful poll was ${Math.round(age / 1000)} s ago`,
      );
  }
}
