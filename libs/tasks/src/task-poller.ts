import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { ServiceConfig } from '@app/config';
import { ReadinessRegistry } from '@app/observability';
import {
  LIFECYCLE_TIMINGS,
  type LifecycleTimings,
} from './lifecycle-timings.js';
import { PollScheduler, type PollTarget } from './poll-scheduler.js';
import { RunOnceTracker, type RunSummary } from './run-once-tracker.js';
import { idOf } from './taken-task.js';
import { type BufferedTask, TaskBuffer } from './task-buffer.js';
import { TaskRunner } from './task-runner.js';

/** Where the poller stands; it only ever moves down this list. */
type PollerState =
  /** Polling, and starting buffered tasks as slots free. */
  | { kind: 'running' }
  /**
   * No more polls or starts; running tasks finish (the shutdown grace
   * period, or a run-once that gave up). The buffer was dropped.
   */
  | { kind: 'draining' }
  /** Running tasks were told to give their tasks back. */
  | { kind: 'releasing' };

/**
 * Keeps the service busy: the scheduler polls `/pending` for as much as the
 * poller can hold (free slots plus the prefetch buffer), the buffer keeps
 * what may be taken, and the poller starts a runner for each buffered task
 * as slots free. On shutdown it stops taking work, lets running tasks finish
 * within the grace period, then has the runners release what is left.
 */
@Injectable()
export class TaskPoller
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly logger = new Logger(TaskPoller.name);
  private readonly settings: ServiceConfig['tasks'];
  private readonly running = new Map<string, Promise<void>>();
  /** Aborted when the runners must give their tasks back. */
  private readonly giveBack = new AbortController();
  /** Set while taking waits for a pause to end. */
  private resumeTimer: Promise<void> | undefined;
  private state: PollerState = { kind: 'running' };

  constructor(
    config: ServiceConfig,
    private readonly runner: TaskRunner,
    private readonly readiness: ReadinessRegistry,
    @Inject(LIFECYCLE_TIMINGS) private readonly timings: LifecycleTimings,
    private readonly buffer: TaskBuffer,
    private readonly scheduler: PollScheduler,
    private readonly runOnce: RunOnceTracker,
  ) {
    this.settings = config.tasks;
  }

  onApplicationBootstrap(): void {
    this.readiness.register('poll', () => this.scheduler.checkRecentPoll());
    this.scheduler.start(this.pollTarget);
  }

  /** Run-once mode: resolves when nothing more can be taken and everything taken has ended. */
  completion(): Promise<RunSummary> {
    return this.runOnce.completion();
  }

  /** Polls now (unless one runs): tasks just became pending, e.g. after a stale sweep. */
  wake(): void {
    void this.scheduler.poll();
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
      this.releaseRunning();
      await this.waitForRunning(this.timings.releaseGraceMs);
    }
    const { succeeded, failed, released } = this.runOnce.totals;
    this.logger.log(
      `stopped: ${succeeded} succeeded, ${failed} failed, ${released} released`,
    );
  }

  /** A second signal: give back every running task now. */
  releaseNow(): void {
    this.releaseRunning();
  }

  /**
   * The process is going down (a crash): gives back every running task at
   * once, and waits at most the release grace for the releases to be sent.
   */
  async releaseAll(): Promise<void> {
    this.releaseRunning();
    await this.waitForRunning(this.timings.releaseGraceMs);
  }

  private stopTakingWork(): void {
    if (this.state.kind !== 'running') return;
    this.state = { kind: 'draining' };
    this.scheduler.stop();
    // Buffered tasks were never claimed: they are still pending in the API.
    this.buffer.clear();
  }

  private releaseRunning(): void {
    this.stopTakingWork();
    this.state = { kind: 'releasing' };
    this.giveBack.abort();
  }

  private async waitForRunning(timeoutMs: number): Promise<void> {
    const timeout = new AbortController();
    await Promise.race([
      Promise.allSettled(this.running.values()),
      this.timings.delay(timeoutMs, timeout.signal),
    ]);
    timeout.abort();
  }

  /** The poller as the scheduler sees it. */
  private readonly pollTarget: PollTarget = {
    room: () =>
      this.settings.concurrencyLimit - this.running.size + this.buffer.freeRoom,
    readyForWork: () => this.buffer.size === 0 && this.hasFreeSlot(),
    wantsMoreWork: () => this.runOnce.wantsMoreWork,
    take: (page, cycle) => {
      // A poll in flight when the poller stopped: its tasks stay pending.
      if (this.state.kind !== 'running') return { buffered: 0, ours: 0 };
      const intake = this.buffer.admit(page, cycle, {
        running: this.running,
        excluded: (id) => this.runOnce.excludes(id),
      });
      this.runOnce.polled(
        intake.buffered,
        this.running.size === 0 && this.buffer.size === 0,
      );
      return intake;
    },
    intervalElapsed: () => this.buffer.expire(),
    keepsTrying: (failures) => {
      if (!this.runOnce.givesUpAfter(failures)) return true;
      this.stopTakingWork();
      return false;
    },
    pollSettled: () => {
      this.startBuffered();
      this.settleRunOnce();
    },
  };

  private hasFreeSlot(): boolean {
    return this.running.size < this.settings.concurrencyLimit;
  }

  private startBuffered(): void {
    while (this.state.kind === 'running' && this.hasFreeSlot()) {
      const pause = this.runner.workPause();
      if (pause.kind === 'paused') {
        this.resumeAt(pause);
        break;
      }
      const next = this.buffer.take();
      if (!next) break;
      this.start(next);
    }
  }

  /**
   * Work is paused (a budget is used up): the buffered tasks stay pending,
   * unclaimed, and taking starts again by itself when the pause ends.
   */
  private resumeAt(pause: { until: Date; reason: string }): void {
    if (this.resumeTimer) return;
    this.logger.warn(
      `not taking tasks until ${pause.until.toISOString()}: ${pause.reason}`,
    );
    const waitMs = Math.max(1_000, pause.until.getTime() - this.timings.now());
    this.resumeTimer = this.timings
      .delay(waitMs, this.giveBack.signal)
      .then((elapsed) => {
        this.resumeTimer = undefined;
        if (!elapsed) return;
        this.logger.log('taking tasks again');
        this.startBuffered();
        this.scheduler.pollIfWorkWaits();
      });
  }

  private start({ taken, cycle }: BufferedTask): void {
    const id = idOf(taken);
    const run = this.runner
      .run(taken, cycle, this.giveBack.signal)
      .then((result) => {
        this.buffer.recordResult(id, result);
        this.runOnce.record(id, result);
      })
      .catch((error: unknown) =>
        this.logger.error(
          { taskId: id },
          `task runner failed: ${String(error)}`,
        ),
      )
      .finally(() => {
        this.running.delete(id);
        this.afterTaskEnded();
      });
    this.running.set(id, run);
  }

  private afterTaskEnded(): void {
    this.startBuffered();
    this.scheduler.pollIfWorkWaits();
    this.settleRunOnce();
  }

  private settleRunOnce(): void {
    this.runOnce.settle(this.running.size, this.scheduler.isPolling);
  }
}
