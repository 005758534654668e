import { type DynamicModule, Module } from '@nestjs/common';
import { parseEnv } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import { ConfigWarnings } from './config-warnings.js';
import { ServiceConfig } from './service-config.js';

export interface ConfigModuleOptions {
  /** The environment to read; the process environment (plus `.env`) when omitted. */
  env?: Record<string, string | undefined>;
  /** Command-line arguments (`--once`); the process's when `env` is omitted. */
  argv?: readonly string[];
  /** The `.env` file read when `env` is omitted; `false` reads none. */
  envFile?: string | false;
}

/**
 * Reads the environment once, when the module is built, so that bad
 * configuration stops the process before any other module starts.
 * Real environment variables win over `.env`.
 */
function readEnvironment(
  options: ConfigModuleOptions = {},
): Record<string, string | undefined> {
  if (options.env) return options.env;
  const file = options.envFile ?? '.env';
  const fromFile =
    file && existsSync(file) ? parseEnv(readFileSync(file, 'utf8')) : {};
  return { ...fromFile, ...process.env };
}

@Module({})
export class ConfigModule {
  /** @throws ConfigValidationError when any setting is invalid. */
  static forRoot(options: ConfigModuleOptions = {}): DynamicModule {
    const config = ServiceConfig.fromEnvironment(
      readEnvironment(options),
      options.argv ?? (options.env ? [] : process.argv.slice(2)),
    );
    return {
      module: ConfigModule,
      global: true,
      providers: [{ provide: ServiceConfig, useValue: config }, ConfigWarnings],
      exports: [ServiceConfig],
    };
  }
}
