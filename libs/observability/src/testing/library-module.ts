import type { LoggerService, ModuleMetadata } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { Test, type TestingModule } from '@nestjs/testing';
import { ConfigModule } from '@app/config';
import { ObservabilityModule } from '../observability.module.js';

export interface LibraryModuleOptions {
  /** The environment the configuration is read from (nothing else is). */
  env: Record<string, string>;
  imports: NonNullable<ModuleMetadata['imports']>;
  /** Providers replaced by value, e.g. tiny retry delays. */
  overrides?: [token: unknown, value: unknown][];
  /** Where Nest `Logger` lines go; silent by default. */
  logger?: LoggerService | false;
}

/**
 * Library modules in a Nest testing module with what the app root puts
 * around them (the real configuration and observability modules, the
 * scheduler), initialised (readiness checks and breakers registered). Close
 * it with `moduleRef.close()`.
 */
export async function startLibraryModule(
  options: LibraryModuleOptions,
): Promise<TestingModule> {
  let builder = Test.createTestingModule({
    imports: [
      ConfigModule.forRoot({ env: options.env }),
      ScheduleModule.forRoot(),
      ObservabilityModule,
      ...options.imports,
    ],
  });
  for (const [token, value] of options.overrides ?? [])
    builder = builder
      .overrideProvider(token as string | symbol)
      .useValue(value);
  const moduleRef = await builder.compile();
  moduleRef.useLogger(options.logger ?? false);
  await moduleRef.init();
  return moduleRef;
}
