export { ApiClientModule } from './api-client.module.js';
export {
  TasksApiClient,
  TasksApiError,
  type ClaimResult,
  type RejectedTask,
  type Task,
  type TaskFailure,
  type TaskPage,
  type TaskState,
} from './tasks-api-client.js';
export { API_RETRY_BACKOFF } from './api-client.constants.js';
export {
  DEFAULT_API_RETRY_BACKOFF,
  type ApiRetryBackoff,
} from './api-resilience.js';
export { ResultTooLargeError } from './request-body.js';
