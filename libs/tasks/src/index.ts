export { TasksModule } from './tasks.module.js';
export { TaskPoller, type RunSummary } from './task-poller.js';
export type { TaskOutcome } from './task-outcome.js';
