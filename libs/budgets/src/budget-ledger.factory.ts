import type { BudgetStore, ServiceConfig } from '@app/config';
import type { BudgetCounterStore } from './budget-counter-store.js';
import type { BudgetLedger } from './budget-ledger.js';
import type { BudgetMetrics } from './budget-metrics.js';
import type { BudgetClock } from './budgets.constants.js';
import { CountedBudget } from './counted-budget.js';
import { CountingBudgetLedger } from './counting-budget-ledger.js';
import type { PriceTable } from './price-table.js';
import { RedisCounterStore } from './redis-counter-store.js';
import { SqliteCounterStore } from './sqlite-counter-store.js';
import { UnlimitedBudgetLedger } from './unlimited-budget-ledger.js';

/** The store `BUDGET_STORE` names, opened. */
async function openCounterStore(
  store: BudgetStore,
): Promise<BudgetCounterStore> {
  switch (store.kind) {
    case 'sqlite':
      return SqliteCounterStore.open(store.path);
    case 'redis':
      return RedisCounterStore.open(store.url);
  }
}

/**
 * The ledger the configuration asks for: with no limit set, one that never
 * opens a store (no file is created, no connection made).
 */
export async function createBudgetLedger(
  config: ServiceConfig,
  prices: PriceTable,
  metrics: BudgetMetrics,
  clock: BudgetClock,
): Promise<BudgetLedger> {
  const { limits, store } = config.budgets;
  if (limits.length === 0) return new UnlimitedBudgetLedger(prices, metrics);
  return CountingBudgetLedger.open(
    limits.map((limit) => new CountedBudget(limit)),
    await openCounterStore(store),
    prices,
    metrics,
    clock,
  );
}
