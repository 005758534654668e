import { Global, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { PrometheusModule } from '@willsoto/nestjs-prometheus';
import { LoggerModule } from 'nestjs-pino';
import { ServiceConfig } from '@app/config';
import { BreakerMonitor } from './breaker-monitor.js';
import {
  DEFAULT_EVENT_LOOP_STALL_LIMITS,
  EVENT_LOOP_STALL_LIMITS,
  EventLoopMonitor,
} from './event-loop-monitor.js';
import { HealthController } from './health.controller.js';
import { metricProviders } from './metrics.js';
import { ReadinessRegistry } from './readiness-registry.js';
import { requestLogLevel } from './request-log-level.js';
import {
  REDACTED_PATHS,
  makeSecretScrubber,
  requestForLog,
} from './secret-scrubber.js';
import { ThrottleMonitor } from './throttle-monitor.js';

const QUIET_ROUTES = new Set(['/metrics', '/health', '/ready']);

function loggerParams(config: ServiceConfig) {
  const scrub = makeSecretScrubber([
    config.auth.clientSecret,
    // Every provider's key: OpenAI's and each PROVIDER_<NAME>_API_KEY.
    ...config.providers.list.flatMap(({ apiKey }) => (apiKey ? [apiKey] : [])),
  ]);
  const pretty =
    config.observability.prettyLogs && process.stdout.isTTY === true;
  return {
    pinoHttp: {
      level: config.observability.logLevel,
      redact: { paths: REDACTED_PATHS, censor: '[REDACTED]' },
      // Applied to pino's standard request serializer (wrapSerializers).
      serializers: { req: requestForLog },
      hooks: { streamWrite: scrub },
      autoLogging: {
        ignore: (req: { url?: string }) =>
          QUIET_ROUTES.has(req.url?.split('?')[0] ?? ''),
      },
      customLogLevel: requestLogLevel,
      ...(pretty
        ? {
            transport: { target: 'pino-pretty', options: { singleLine: true } },
          }
        : {}),
    },
  };
}

/**
 * Logs, metrics, liveness and readiness: the one HTTP server of the service
 * (`METRICS_PORT`) serves `/health`, `/ready` and `/metrics`.
 */
@Global()
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [ServiceConfig],
      useFactory: loggerParams,
    }),
    PrometheusModule.register({
      path: '/metrics',
      defaultMetrics: { enabled: true },
    }),
    TerminusModule.forRoot({ logger: false }),
  ],
  controllers: [HealthController],
  providers: [
    ...metricProviders,
    ReadinessRegistry,
    BreakerMonitor,
    ThrottleMonitor,
    EventLoopMonitor,
    {
      provide: EVENT_LOOP_STALL_LIMITS,
      useValue: DEFAULT_EVENT_LOOP_STALL_LIMITS,
    },
  ],
  exports: [
    ...metricProviders,
    ReadinessRegistry,
    BreakerMonitor,
    ThrottleMonitor,
  ],
})
export class ObservabilityModule {}
