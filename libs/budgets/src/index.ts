export { BudgetsModule } from './budgets.module.js';
export {
  BudgetLedger,
  type BudgetRequest,
  type BudgetReservation,
  type BudgetStatus,
  type BudgetUsage,
  type SpentTokens,
} from './budget-ledger.js';
export {
  BudgetStoreUnavailableError,
  BudgetUsedUpError,
  RequestOverBudgetError,
} from './budget-errors.js';
export { BUDGET_CLOCK, type BudgetClock } from './budgets.constants.js';
export { PriceTable } from './price-table.js';
export { BUILT_IN_PRICES, type ModelPrice } from './built-in-prices.js';
export { PricesFileError } from './prices-file.js';
export { type CalendarPeriod, calendarPeriod } from './calendar-period.js';
