import {
  BudgetLedger,
  type BudgetRequest,
  type BudgetReservation,
  type BudgetStatus,
  type BudgetUsage,
} from './budget-ledger.js';
import type { BudgetMetrics } from './budget-metrics.js';
import type { PriceTable } from './price-table.js';

/**
 * No `BUDGET_*` limit is set: every request goes, nothing is stored (no
 * file, no connection); spend is still counted in `ai_spend_usd_total`.
 */
export class UnlimitedBudgetLedger extends BudgetLedger {
  constructor(
    private readonly prices: PriceTable,
    private readonly metrics: BudgetMetrics,
  ) {
    super();
  }

  async reserve({
    provider,
    model,
  }: BudgetRequest): Promise<BudgetReservation> {
    let done = false;
    return {
      settle: async (spent) => {
        if (done) return;
        done = true;
        this.metrics.spent(provider, model, this.prices.costUsd(model, spent));
      },
      cancel: async () => {
        done = true;
      },
    };
  }

  status(): BudgetStatus {
    return { kind: 'open' };
  }

  async refresh(): Promise<BudgetStatus> {
    return { kind: 'open' };
  }

  usage(): BudgetUsage[] {
    return [];
  }
}
