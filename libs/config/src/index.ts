export { ConfigModule, type ConfigModuleOptions } from './config.module.js';
export {
  ConfigValidationError,
  ServiceConfig,
  type EmbeddingProviderChoice,
  type LogLevel,
  type TokenAuthMethod,
  type WorkerShard,
} from './service-config.js';
