import { Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { ApiClientModule } from '@app/api-client';
import { ProcessorsModule } from '@app/processors';
import {
  LIFECYCLE_TIMINGS,
  defaultLifecycleTimings,
} from './lifecycle-timings.js';
import { StaleTaskSweeper } from './stale-task-sweeper.js';
import { TaskPoller } from './task-poller.js';
import { TaskRunner } from './task-runner.js';

/** The task lifecycle: poll, claim, process, report, recover, shut down. */
@Module({
  imports: [ScheduleModule.forRoot(), ApiClientModule, ProcessorsModule],
  providers: [
    { provide: LIFECYCLE_TIMINGS, useValue: defaultLifecycleTimings },
    TaskRunner,
    TaskPoller,
    StaleTaskSweeper,
  ],
  exports: [TaskPoller],
})
export class TasksModule {}
