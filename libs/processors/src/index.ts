export { ProcessorsModule } from './processors.module.js';
export type {
  ProcessableTask,
  ProcessingResult,
  TaskProcessor,
} from './task-processor.js';
