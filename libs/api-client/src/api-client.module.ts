import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { AuthModule } from '@app/auth';
import { ServiceConfig } from '@app/config';
import {
  API_RETRY_BACKOFF,
  DEFAULT_API_RETRY_BACKOFF,
} from './api-resilience.js';
import { HttpTasksApiClient } from './http-tasks-api-client.js';
import { TasksApiClient } from './tasks-api-client.js';

/**
 * The tasks API: inject `TasksApiClient`. Needs the global `ServiceConfig`
 * and observability providers.
 */
@Module({
  imports: [
    AuthModule,
    HttpModule.registerAsync({
      inject: [ServiceConfig],
      // One keep-alive agent per protocol: polls and PATCHes reuse connections.
      useFactory: (config: ServiceConfig) => ({
        baseURL: config.api.baseUrl,
        maxRedirects: 0,
        httpAgent: new HttpAgent({ keepAlive: true }),
        httpsAgent: new HttpsAgent({ keepAlive: true }),
      }),
    }),
  ],
  providers: [
    { provide: TasksApiClient, useClass: HttpTasksApiClient },
    { provide: API_RETRY_BACKOFF, useValue: DEFAULT_API_RETRY_BACKOFF },
  ],
  exports: [TasksApiClient],
})
export class ApiClientModule {}
