import { Module } from '@nestjs/common';
import { ApiClientModule } from '@app/api-client';
import { ProcessorsModule } from '@app/processors';
import {
  LIFECYCLE_TIMINGS,
  defaultLifecycleTimings,
} from './lifecycle-timings.js';
import { PollScheduler } from './poll-scheduler.js';
import { RunOnceTracker } from './run-once-tracker.js';
import { StaleTaskSweeper } from './stale-task-sweeper.js';
import { TaskBuffer } from './task-buffer.js';
import { TaskPoller } from './task-poller.js';
import { TaskRunner } from './task-runner.js';

/** The task lifecycle: poll, claim, process, report, recover, shut down. */
@Module({
  imports: [ApiClientModule, ProcessorsModule],
  providers: [
    { provide: LIFECYCLE_TIMINGS, useValue: defaultLifecycleTimings },
    TaskRunner,
    TaskBuffer,
    PollScheduler,
    RunOnceTracker,
    TaskPoller,
    StaleTaskSweeper,
  ],
  exports: [TaskPoller],
})
export class TasksModule {}
