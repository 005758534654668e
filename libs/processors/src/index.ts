export { ProcessorsModule } from './processors.module.js';
export { ProcessorRegistry } from './processor-registry.js';
export {
  ProcessorFailurePolicy,
  UNEXPECTED_ERROR_ATTEMPTS,
} from './processor-failure-policy.js';
export {
  TaskProcessor,
  TaskProcessorHost,
  type ProcessableTask,
  type ProcessingResult,
  type JsonValue,
  type TaskResult,
  type TokenUsage,
} from './task-processor.js';
export { TASK_PROCESSORS } from './processors.constants.js';
export {
  InvalidTaskProcessorError,
  type TaskProcessorMap,
  type TaskProcessorRef,
} from './task-processors.js';
export { FAILURE_CODE } from './failure-codes.js';
export { canonicalTaskType } from './task-type.js';
export { type WorkPause } from './providers/spend-gate.js';
