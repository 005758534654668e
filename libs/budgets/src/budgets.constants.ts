// The injection tokens of @app/budgets, in one place.

/** Milliseconds since the epoch: which calendar period it is. */
export type BudgetClock = () => number;

/** Injection token of the ledger's `BudgetClock`; tests move time forward. */
export const BUDGET_CLOCK = Symbol('BUDGET_CLOCK');
