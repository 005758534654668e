export { ConfigModule, type ConfigModuleOptions } from './config.module.js';
export {
  ConfigValidationError,
  ServiceConfig,
  type EmbeddingProviderChoice,
  type WorkerShard,
} from './service-config.js';
export { type LogLevel, type TokenAuthMethod } from './environment.js';
