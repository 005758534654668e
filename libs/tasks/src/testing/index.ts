// Fakes for the specs of this library: the tasks API in memory, a runner the
// test ends tasks of, and a clock and timer moved by hand. Never imported by
// the service.
import { ServiceConfig } from '@app/config';

export {
  FakeTasksApiClient,
  pageOf,
  pendingTask,
} from './fake-tasks-api-client.js';
export { ManualClock, settle } from './manual-clock.js';
export { ScriptedRunner } from './scripted-runner.js';

/** The settings every test needs and none is about. */
const BASE_ENV = {
  API_BASE_URL: 'http://127.0.0.1:9',
  OAUTH2_TOKEN_URL: 'http://127.0.0.1:9/oauth2/token',
  OAUTH2_CLIENT_ID: 'processor',
  OAUTH2_CLIENT_SECRET: 'client-secret-value',
  POLLING_INTERVAL_SECONDS: '30',
  CONCURRENCY_LIMIT: '2',
  PREFETCH_LIMIT: '2',
};

/** Settings read from `env` over defaults that reach nothing. */
export const testConfig = (env: Record<string, string> = {}): ServiceConfig =>
  ServiceConfig.fromEnvironment({ ...BASE_ENV, ...env });
