import { Inject, Injectable, Logger } from '@nestjs/common';
import type { Gauge } from 'prom-client';
import { type TaskPage, TasksApiClient } from '@app/api-client';
import { ServiceConfig } from '@app/config';
import { InjectMetric, METRIC } from '@app/observability';
import { equalJitterBackoff } from '@app/resilience';
import {
  LIFECYCLE_TIMINGS,
  type LifecycleTimings,
} from './lifecycle-timings.js';
import type { PageIntake } from './task-buffer.js';

/** What the scheduler needs of the poller: room, where pages go, and when to stop. */
export interface PollTarget {
  /** How many entries the next poll may bring: free slots plus free buffer room. */
  room(): number;
  /** Nothing waits in the buffer and a slot is free: work found now starts at once. */
  readyForWork(): boolean;
  /** Polls are wanted without a backlog too (a run-once that has not drained). */
  wantsMoreWork(): boolean;
  /** Takes what it may of an answered page. */
  take(page: TaskPage, cycle: number): PageIntake;
  /** A polling interval passed; its poll follows. */
  intervalElapsed(): void;
  /**
   * A poll failed or was skipped, after `failures` failed polls in a row:
   * false ends polling for good (a run-once gives up).
   */
  keepsTrying(failures: number): boolean;
  /** A poll attempt ended, whatever came of it. */
  pollSettled(): void;
}

/** How the last poll attempts went. */
type PollHealth =
  /** The last poll was answered, or none has been tried. */
  | { kind: 'answering' }
  /** The last `failures` polls failed. */
  | { kind: 'failing'; failures: number }
  /** Polls are skipped until the API's breaker half-opens (said once); `failures` as it opened. */
  | { kind: 'breaker_open'; failures: number };

const failuresOf = (health: PollHealth): number =>
  health.kind === 'answering' ? 0 : health.failures;

/**
 * Decides when `/pending` is asked: at start, at every polling interval,
 * when woken, at once while a backlog drains, and after a backoff when a
 * poll failed or the API's breaker was open. Polls never overlap.
 */
@Injectable()
export class PollScheduler {
  private readonly logger = new Logger(PollScheduler.name);
  private readonly intervalMs: number;
  /** Aborted by `stop`: ends the interval and every pending retry. */
  private readonly stopping = new AbortController();
  private target: PollTarget | undefined;
  private inFlight: Promise<void> | undefined;
  private cycle = 0;
  private health: PollHealth = { kind: 'answering' };
  /** The last answered page was full and not only others' tasks: more is probably waiting. */
  private backlog = false;
  /** At most one retry waits at a time, however many polls fail meanwhile. */
  private retryPending = false;
  private lastAnsweredAt: number | undefined;

  constructor(
    config: ServiceConfig,
    private readonly api: TasksApiClient,
    @Inject(LIFECYCLE_TIMINGS) private readonly timings: LifecycleTimings,
    @InjectMetric(METRIC.lastSuccessfulPoll)
    private readonly lastPollGauge: Gauge,
  ) {
    this.intervalMs = config.tasks.pollingIntervalMs;
  }

  /** Polls now and at every interval, for `target`, until `stop`. */
  start(target: PollTarget): void {
    this.target = target;
    void this.tickEvery();
    void this.poll();
  }

  /** No poll starts any more; one in flight still ends (its page is the target's to ignore). */
  stop(): void {
    this.stopping.abort();
  }

  get isPolling(): boolean {
    return this.inFlight !== undefined;
  }

  /** Polls now, unless one is in flight: then it joins that one. */
  poll(): Promise<void> {
    this.inFlight ??= this.attempt().then(
      (tookWork) => this.settle(tookWork),
      (error: unknown) => {
        this.settle(false);
        throw error;
      },
    );
    return this.inFlight;
  }

  /**
   * A slot freed or the buffer ran dry: polls at once, not at the next
   * tick, while more work waits. The interval bounds idle pickup latency;
   * it never throttles a backlog.
   */
  pollIfWorkWaits(): void {
    const target = this.target;
    if (!target || this.stopping.signal.aborted || this.inFlight) return;
    if ((this.backlog || target.wantsMoreWork()) && target.readyForWork())
      void this.poll();
  }

  /** The `poll` readiness check: a poll was answered recently. */
  checkRecentPoll(): void {
    const maxAgeMs = Math.max(3 * this.intervalMs, 60_000);
    if (this.lastAnsweredAt === undefined)
      throw new Error('no poll of the tasks API has succeeded yet');
    const age = this.timings.now() - this.lastAnsweredAt;
    if (age > maxAgeMs)
      throw new Error(
        `the last successful poll was ${Math.round(age / 1000)} s ago`,
      );
  }

  private settle(tookWork: boolean): void {
    this.inFlight = undefined;
    this.target?.pollSettled();
    // Right after a poll that took nothing, the next one waits for a task to
    // finish: a page of tasks still being claimed here must not spin the
    // poller. After a failed or skipped poll, the retry is the next one.
    if (tookWork) this.pollIfWorkWaits();
  }

  // A chain of waits rather than setInterval: the injected timer drives it,
  // and `stop` ends it.
  private async tickEvery(): Promise<void> {
    while (await this.timings.delay(this.intervalMs, this.stopping.signal)) {
      this.target?.intervalElapsed();
      void this.poll();
    }
  }

  /**
   * One poll, unless stopped, the breaker is open or there is no room.
   * True when it was answered and took work.
   */
  private async attempt(): Promise<boolean> {
    const target = this.target;
    if (!target || this.stopping.signal.aborted) return false;
    if (this.api.isBreakerOpen()) {
      if (this.health.kind !== 'breaker_open')
        this.logger.warn(
          'tasks API circuit breaker open: polls are skipped until it half-opens',
        );
      this.health = {
        kind: 'breaker_open',
        failures: failuresOf(this.health),
      };
      this.retryLater(target);
      return false;
    }
    // The breaker closed: should it open again, that is worth a line again.
    if (this.health.kind === 'breaker_open')
      this.health =
        this.health.failures > 0
          ? { kind: 'failing', failures: this.health.failures }
          : { kind: 'answering' };
    const limit = target.room();
    if (limit <= 0) return false;
    const cycle = ++this.cycle;
    let page: TaskPage;
    try {
      page = await this.api.fetchPending(limit);
    } catch (error) {
      this.health = {
        kind: 'failing',
        failures: failuresOf(this.health) + 1,
      };
      this.logger.warn(
        { cycle },
        `poll failed: ${error instanceof Error ? error.message : String(error)}`,
      );
      this.retryLater(target);
      return false;
    }
    this.health = { kind: 'answering' };
    this.lastAnsweredAt = this.timings.now();
    this.lastPollGauge.set(this.lastAnsweredAt / 1000);

    const { buffered, ours } = target.take(page, cycle);
    // A full page means more may be waiting, also when its head was tasks we
    // are claiming right now; a page of only others' tasks (shards) does not.
    this.backlog =
      page.tasks.length + page.rejected.length >= limit && buffered + ours > 0;
    if (buffered > 0)
      this.logger.debug({ cycle }, `poll: ${buffered} task(s) to take`);
    return buffered > 0;
  }

  private retryLater(target: PollTarget): void {
    const failures = failuresOf(this.health);
    if (!target.keepsTrying(failures)) {
      this.stop();
      return;
    }
    if (this.retryPending) return;
    this.retryPending = true;
    // The first retry after a failed poll waits one to two base delays,
    // doubling with each failure, never longer than the interval.
    const wait = equalJitterBackoff(failures + 1, {
      initialDelayMs: this.timings.pollRetryBaseMs,
      maxDelayMs: this.intervalMs,
    });
    void this.timings.delay(wait, this.stopping.signal).then((elapsed) => {
      this.retryPending = false;
      if (elapsed) void this.poll();
    });
  }
}
