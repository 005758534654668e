// `@app/api-client/testing`: the API client module as tests start it (real
// auth, configuration and observability, quick retries). Never imported by
// the service.
import type { LoggerService } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { TOKEN_RETRY_BACKOFF } from '@app/auth';
import { startLibraryModule } from '@app/observability/testing';
import { ApiClientModule } from '../api-client.module.js';
import { API_RETRY_BACKOFF } from '../api-client.constants.js';
import { type ApiRetryBackoff } from '../api-resilience.js';
import { TasksApiError } from '../tasks-api-client.js';

/** Retries at once: for tests about answers, not about waiting. */
export const QUICK_API_BACKOFF: ApiRetryBackoff = {
  initialDelayMs: 1,
  maxDelayMs: 2,
  maxRetryAfterMs: 10,
};

export interface ApiClientTestOptions {
  /** The whole environment the configuration reads. */
  env: Record<string, string>;
  backoff?: ApiRetryBackoff;
  logger?: LoggerService;
}

/** `ApiClientModule` with the real auth, configuration and observability modules, and quick token retries. */
export function startApiClientModule({
  env,
  backoff = QUICK_API_BACKOFF,
  logger,
}: ApiClientTestOptions): Promise<TestingModule> {
  return startLibraryModule({
    env,
    imports: [ApiClientModule],
    overrides: [
      [API_RETRY_BACKOFF, backoff],
      [TOKEN_RETRY_BACKOFF, { initialDelayMs: 1, maxDelayMs: 2 }],
    ],
    logger,
  });
}

/** The `TasksApiError` a call must fail with. */
export const apiError = (promise: Promise<unknown>): Promise<TasksApiError> =>
  promise.then(
    () => expect.fail('expected a TasksApiError'),
    (error: unknown) => {
      expect(error).toBeInstanceOf(TasksApiError);
      return error as TasksApiError;
    },
  );
