export { ConfigModule, type ConfigModuleOptions } from './config.module.js';
export {
  ConfigValidationError,
  ServiceConfig,
  type ProviderMode,
  type WorkerShard,
} from './service-config.js';
export { type LogLevel, type TokenAuthMethod } from './environment.js';
export {
  BUDGET_PERIODS,
  type BudgetLimit,
  type BudgetPeriod,
  type BudgetStore,
  type BudgetUnit,
  type ModelRoute,
  type ProviderSettings,
  matchesModelPattern,
} from './provider-settings.js';
