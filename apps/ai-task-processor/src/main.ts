import { NestFactory } from '@nestjs/core';
import { Logger } from 'nestjs-pino';
import {
  ConfigModule,
  ConfigValidationError,
  ServiceConfig,
} from '@app/config';
import { AppModule } from './app.module.js';

function loadConfiguration() {
  try {
    return ConfigModule.forRoot();
  } catch (error) {
    if (!(error instanceof ConfigValidationError)) throw error;
    process.stderr.write(`${error.problems.join('\n')}\n`);
    process.exit(1);
  }
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
  const { metricsPort } = app.get(ServiceConfig).observability;
  await app.listen(metricsPort);
  const address = app.getHttpServer().address();
  logger.log(
    { port: typeof address === 'object' ? address?.port : metricsPort },
    'http server listening',
    'Bootstrap',
  );
  // Nest's own shutdown hooks re-raise the signal, which would end the
  // process with a signal status; the contract asks for exit code 0.
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    process.once(signal, () => {
      logger.log(`${signal} received, shutting down`, 'Bootstrap');
      void app.close().then(() => process.exit(0));
    });
  }
}

await bootstrap();
