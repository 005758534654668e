import type { BudgetCounter } from './budget-counter.js';
import type { CountedBudget } from './counted-budget.js';

/** Where usage is counted (`BUDGET_STORE`): one counter per budget. */
export interface BudgetCounterStore {
  readonly kind: 'sqlite' | 'redis';
  counter(budget: CountedBudget): Promise<BudgetCounter>;
  /** Removes counters of periods long over; a store whose keys expire by themselves does nothing. */
  prune(): void;
  close(): Promise<void>;
}

/** The key prefix of every counter: `budget:day:tokens:2026-12-01`. */
export const COUNTER_KEY_PREFIX = 'budget';
