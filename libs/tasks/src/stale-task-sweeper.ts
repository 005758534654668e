import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import { SchedulerRegistry } from '@nestjs/schedule';
import { TasksApiClient } from '@app/api-client';
import { ServiceConfig } from '@app/config';
import {
  LIFECYCLE_TIMINGS,
  type LifecycleTimings,
} from './lifecycle-timings.js';
import { TaskPoller } from './task-poller.js';

const SWEEP_INTERVAL = 'stale-task-sweep';

/**
 * Returns tasks stuck `in_progress` (a crashed worker's) to `pending`, at
 * start and every few minutes, so that no task stays taken forever.
 */
@Injectable()
export class StaleTaskSweeper
  implements OnApplicationBootstrap, BeforeApplicationShutdown
{
  private readonly logger = new Logger(StaleTaskSweeper.name);
  private readonly staleAfterMs: number;
  private sweeping: Promise<number> | undefined;

  constructor(
    config: ServiceConfig,
    private readonly api: TasksApiClient,
    private readonly poller: TaskPoller,
    private readonly scheduler: SchedulerRegistry,
    @Inject(LIFECYCLE_TIMINGS) private readonly timings: LifecycleTimings,
  ) {
    this.staleAfterMs = config.tasks.staleTaskTimeoutMs;
  }

  onApplicationBootstrap(): void {
    if (this.staleAfterMs === 0) return;
    this.scheduler.addInterval(
      SWEEP_INTERVAL,
      setInterval(() => void this.sweep(), this.timings.staleSweepIntervalMs),
    );
    void this.sweep();
  }

  beforeApplicationShutdown(): void {
    if (this.scheduler.doesExist('interval', SWEEP_INTERVAL))
      this.scheduler.deleteInterval(SWEEP_INTERVAL);
  }

  /** Releases every stale task; answers how many were released. */
  sweep(): Promise<number> {
    this.sweeping ??= this.sweepOnce().finally(
      () => (this.sweeping = undefined),
    );
    return this.sweeping;
  }

  private async sweepOnce(): Promise<number> {
    let page;
    try {
      page = await this.api.listByState('in_progress');
    } catch (error) {
      this.logger.warn(
        `stale-task sweep skipped: ${error instanceof Error ? error.message : String(error)}`,
      );
      return 0;
    }
    const cutoff = this.timings.now() - this.staleAfterMs;
    const stale = page.tasks.filter(
      (task) =>
        task.updatedAt.getTime() < cutoff && !this.poller.isRunning(task.id),
    );
    let released = 0;
    for (const task of stale) {
      try {
        await this.api.release(task.id);
        released++;
        const minutes = Math.round(
          (this.timings.now() - task.updatedAt.getTime()) / 60_000,
        );
        this.logger.warn(
          { taskId: task.id },
          `released a task stuck in_progress for ${minutes} min`,
        );
      } catch (error) {
        this.logger.warn(
          { taskId: task.id },
          `could not release a stale task: ${error instanceof Error ? error.message : String(error)}`,
        );
      }
    }
    if (released > 0) this.poller.wake();
    return released;
  }
}
