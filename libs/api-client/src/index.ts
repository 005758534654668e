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
