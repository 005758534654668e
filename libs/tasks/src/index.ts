export { TasksModule } from './tasks.module.js';
export { TaskPoller } from './task-poller.js';
export type { RunSummary } from './run-once-tracker.js';
export type { TaskOutcome } from './task-outcome.js';
