export { ProcessorsModule } from './processors.module.js';
export {
  ProcessorRegistry,
  UNEXPECTED_ERROR_ATTEMPTS,
} from './processor-registry.js';
export {
  RegisterTaskProcessor,
  type ProcessableTask,
  type ProcessingResult,
  type ResultVector,
  type TaskProcessor,
  type TokenUsage,
} from './task-processor.js';
export { FAILURE_CODE } from './failure-codes.js';
export { canonicalTaskType } from './task-type.js';
