import type { BudgetLimit } from '@app/config';
import { UpstreamError } from '@app/resilience';

/**
 * A budget has no room for the request this period. Transient: the task is
 * released (it stays `pending`, never `failed`) and the service takes no
 * work that needs the budget until `until`, the period's end.
 */
export class BudgetUsedUpError extends UpstreamError {
  constructor(
    message: string,
    readonly budget: BudgetLimit,
    readonly until: Date,
  ) {
    super(message);
    this.name = 'BudgetUsedUpError';
  }

  get transient(): boolean {
    return true;
  }
}

/**
 * The request alone is larger than a whole budget: no period will ever
 * take it, so waiting would only stop the service again at every reset.
 * Not transient: the task fails.
 */
export class RequestOverBudgetError extends UpstreamError {
  constructor(
    message: string,
    readonly budget: BudgetLimit,
  ) {
    super(message);
    this.name = 'RequestOverBudgetError';
  }

  get transient(): boolean {
    return false;
  }
}

/**
 * The store that counts usage (SQLite, Redis) did not answer. Transient:
 * the work waits rather than run unmetered, and the budget is not called
 * used up, since nobody knows.
 */
export class BudgetStoreUnavailableError extends UpstreamError {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'BudgetStoreUnavailableError';
  }

  get transient(): boolean {
    return true;
  }
}
