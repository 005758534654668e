import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import {
  ConfigModule,
  ConfigValidationError,
  ServiceConfig,
} from '@app/config';
import { type RunSummary, TaskPoller } from '@app/tasks';
import { configureHttpServer } from '@app/observability';
import { AppModule } from './app.module.js';
import {
  exitGracefullyOnSignals,
  exitOnCrash,
  scheduleUnref,
} from './process-handlers.js';

/** Exit code of a run-once that had to give tasks back (a wrapper retries it). */
const EXIT_RELEASED = 3;

function loadConfiguration() {
  try {
    return ConfigModule.forRoot();
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    process.stderr.write(`${error.problems.join('\n')}\n`);
    process.exit(1);
  }
}

/**
 * Beyond the grace period: the releases after it (the lifecycle gives them
 * 5 s) and closing what is left.
 */
const SHUTDOWN_BACKSTOP_MARGIN_MS = 10_000;
/** A crash releases what is claimed (within the lifecycle's 5 s) and exits by then at the latest. */
const CRASH_RELEASE_BOUND_MS = 10_000;

function summaryLine(summary: RunSummary): string {
  const seconds = (summary.elapsedMs / 1000).toFixed(1);
  const abandoned = summary.abandoned
    ? ` (${summary.abandoned} left as the API has them)`
    : '';
  return `${summary.succeeded} succeeded, ${summary.failed} failed, ${summary.released} released in ${seconds} s${abandoned}`;
}

async function bootstrap() {
  const app = await NestFactory.create(
    AppModule.register(loadConfiguration()),
    {
      bufferLogs: true,
      // At shutdown every connection is closed, also one whose client is
      // still (slowly) sending its request: none can hold the exit.
      forceCloseConnections: true,
    },
  );
  const logger = app.get(Logger);
  app.useLogger(logger);
  const config = app.get(ServiceConfig);
  const poller = app.get(TaskPoller);
  exitOnCrash(process, {
    releaseClaimed: () => poller.releaseAll(),
    logger,
    boundMs: CRASH_RELEASE_BOUND_MS,
    schedule: scheduleUnref,
  });
  exitGracefullyOnSignals(process, {
    close: () => app.close(),
    releaseNow: () => poller.releaseNow(),
    logger,
    backstopMs: config.tasks.shutdownTimeoutMs + SHUTDOWN_BACKSTOP_MARGIN_MS,
    schedule: scheduleUnref,
  });
  configureHttpServer(app);
  const { metricsPort, metricsHost } = config.observability;
  // Unset: Node's default, every interface (probes and scrapers need it).
  await (metricsHost === undefined
    ? app.listen(metricsPort)
    : app.listen(metricsPort, metricsHost));
  const address = app.getHttpServer().address();
  logger.log(
    typeof address === 'object' && address
      ? { host: address.address, port: address.port }
      : { port: metricsPort },
    'http server listening',
    'Bootstrap',
  );
  logger.log(
    `${config.tasks.runOnce ? 'run-once: taking what is pending, then exiting' : 'polling'} ${config.api.baseUrl}`,
    'Bootstrap',
  );

  if (config.tasks.runOnce) {
    const summary = await poller.completion();
    await app.close();
    process.stdout.write(`${summaryLine(summary)}\n`);
    process.exit(summary.released > 0 || summary.gaveUp ? EXIT_RELEASED : 0);
  }
}

await bootstrap();
