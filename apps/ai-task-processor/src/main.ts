import { type INestApplication } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import {
  ConfigModule,
  ConfigValidationError,
  ServiceConfig,
} from '@app/config';
import { type RunSummary, TaskPoller } from '@app/tasks';
import { AppModule } from './app.module.js';

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
 * First SIGTERM/SIGINT: stop claiming, finish or release within the grace
 * period, exit 0. Nest's own shutdown hooks would re-raise the signal and
 * end with a signal status instead. A second signal releases at once.
 */
function exitGracefullyOnSignals(app: INestApplication, logger: Logger): void {
  let closing: Promise<void> | undefined;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.on(signal, () => {
      if (closing) {
        logger.warn(
          `${signal} received again: releasing running tasks now`,
          'Bootstrap',
        );
        app.get(TaskPoller).releaseNow();
        return;
      }
      logger.log(`${signal} received, shutting down`, 'Bootstrap');
      closing = app.close().then(() => process.exit(0));
    });
  }
}

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
    },
  );
  const logger = app.get(Logger);
  app.useLogger(logger);
  exitGracefullyOnSignals(app, logger);
  const config = app.get(ServiceConfig);
  await app.listen(config.observability.metricsPort);
  const address = app.getHttpServer().address();
  logger.log(
    {
      port:
        typeof address === 'object'
          ? address?.port
          : config.observability.metricsPort,
    },
    'http server listening',
    'Bootstrap',
  );
  logger.log(
    `${config.tasks.runOnce ? 'run-once: taking what is pending, then exiting' : 'polling'} ${config.api.baseUrl}`,
    'Bootstrap',
  );

  if (config.tasks.runOnce) {
    const summary = await app.get(TaskPoller).completion();
    await app.close();
    process.stdout.write(`${summaryLine(summary)}\n`);
    process.exit(summary.released > 0 || summary.gaveUp ? EXIT_RELEASED : 0);
  }
}

await bootstrap();
