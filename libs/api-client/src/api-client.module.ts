import { Module } from '@nestjs/common';
import { Pool } from 'undici';
import { AuthModule } from '@app/auth';
import { ServiceConfig } from '@app/config';
import { RateLimitGate } from '@app/resilience';
import {
  API_RATE_LIMIT_GATE,
  API_RETRY_BACKOFF,
  TASKS_API_DISPATCHER,
} from './api-client.constants.js';
import { DEFAULT_API_RETRY_BACKOFF } from './api-resilience.js';
import { HttpTasksApiClient } from './http-tasks-api-client.js';
import { TasksApiClient } from './tasks-api-client.js';
import { TasksApiPolicies } from './tasks-api-policies.js';
import { TasksApiTransport } from './tasks-api-transport.js';

/**
 * The tasks API: inject `TasksApiClient`. Needs the global `ServiceConfig`
 * and observability providers.
 */
@Module({
  imports: [AuthModule],
  providers: [
    { provide: TasksApiClient, useClass: HttpTasksApiClient },
    TasksApiPolicies,
    TasksApiTransport,
    { provide: API_RETRY_BACKOFF, useValue: DEFAULT_API_RETRY_BACKOFF },
    { provide: API_RATE_LIMIT_GATE, useFactory: () => new RateLimitGate() },
    {
      // undici rather than axios on this path: two calls per task, and axios
      // spent three times the CPU per call (docs/performance.md). Keep-alive
      // connections are reused; the transport closes the pool on shutdown.
      provide: TASKS_API_DISPATCHER,
      inject: [ServiceConfig],
      useFactory: (config: ServiceConfig) =>
        new Pool(new URL(config.api.baseUrl).origin),
    },
  ],
  exports: [TasksApiClient],
})
export class ApiClientModule {}
