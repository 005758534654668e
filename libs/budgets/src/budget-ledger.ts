import type { BudgetLimit } from '@app/config';

/** One request about to be sent to a provider. */
export interface BudgetRequest {
  /** The provider's configured name (`openai`, `<name>` of `PROVIDER_<NAME>_*`). */
  provider: string;
  model: string;
  /** The most tokens it may use: its prompt's, plus the most the answer may take. */
  tokens: number;
  /**
   * The most it may cost, when the caller knows better than the ledger's
   * upper bound (every token at the model's higher price); e.g. an
   * embeddings request, whose tokens are all input.
   */
  maxUsd?: number;
}

/** What a request actually used, as the provider reported it (or as counted). */
export interface SpentTokens {
  promptTokens: number;
  completionTokens: number;
}

/**
 * A request's share of every budget, taken before it is sent. Exactly one
 * of `settle` and `cancel` counts; later calls do nothing. Neither throws:
 * when the store cannot be reached the reservation stays counted as taken
 * (an upper bound), which is logged.
 */
export interface BudgetReservation {
  /** Counts what was used instead of what was reserved, even beyond the limit: it was spent. */
  settle(spent: SpentTokens): Promise<void>;
  /** The request was never sent: gives everything back. */
  cancel(): Promise<void>;
}

/**
 * Whether work that spends may start. `used_up` names the budget that
 * opens last, and when: the end of its calendar period. Only budgets
 * without a scope (they count every request) pause all work; a used-up
 * provider's or model's budget refuses just the requests it applies to.
 */
export type BudgetStatus =
  | { kind: 'open' }
  | { kind: 'used_up'; budget: BudgetLimit; until: Date; message: string };

/** A budget as this process last learned it. */
export interface BudgetUsage {
  budget: BudgetLimit;
  /** In the budget's unit: tokens, or US dollars. */
  used: number;
  remaining: number;
  resetsAt: Date;
}

/**
 * The spending budgets of docs/contract.md §4 (`BUDGET_<PERIOD>_TOKENS`,
 * `BUDGET_<PERIOD>_USD`, all providers together; `BUDGET_FILE`'s, also per
 * provider or model pattern), counted in calendar periods (UTC) in a store
 * every replica shares.
 */
export abstract class BudgetLedger {
  /**
   * Takes the request's tokens and its cost from every budget that applies
   * to it (its provider, its model) at once, or takes nothing.
   * @throws BudgetUsedUpError when such a budget has no room for it (transient).
   * @throws RequestOverBudgetError when it is larger than a whole budget.
   * @throws BudgetStoreUnavailableError when the store does not answer (transient).
   */
  abstract reserve(request: BudgetRequest): Promise<BudgetReservation>;

  /**
   * The work pause, from what this process saw last, without asking the
   * store; `open` again once the clock passes `until`. Used up only for a
   * budget without a scope.
   */
  abstract status(): BudgetStatus;

  /**
   * Reads the counters (other replicas spend too) and answers the status.
   * @throws BudgetStoreUnavailableError when the store does not answer.
   */
  abstract refresh(): Promise<BudgetStatus>;

  /** Every configured budget, as this process last learned it. */
  abstract usage(): BudgetUsage[];
}
