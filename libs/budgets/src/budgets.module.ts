import { Module } from '@nestjs/common';
import { ServiceConfig } from '@app/config';
import { createBudgetLedger } from './budget-ledger.factory.js';
import { BudgetLedger } from './budget-ledger.js';
import { BudgetMetrics } from './budget-metrics.js';
import { BudgetReadiness } from './budget-readiness.js';
import { BUDGET_CLOCK } from './budgets.constants.js';
import { PriceTable } from './price-table.js';

/**
 * The spending budgets: inject `BudgetLedger` (and `PriceTable`). Needs
 * the global `ServiceConfig` and observability providers.
 *
 * Imported, not global: the modules that spend or stop for a budget
 * (processors, tasks) name it in their imports, as the architecture's
 * "uses" column does. Nest builds an imported module once per application,
 * so they all share one ledger, one store connection and one status.
 */
@Module({
  providers: [
    { provide: BUDGET_CLOCK, useValue: () => Date.now() },
    {
      // An invalid BUDGET_PRICES_FILE stops the start-up, naming the problem.
      provide: PriceTable,
      inject: [ServiceConfig],
      useFactory: (config: ServiceConfig) =>
        PriceTable.load(config.budgets.pricesFile),
    },
    BudgetMetrics,
    {
      provide: BudgetLedger,
      inject: [ServiceConfig, PriceTable, BudgetMetrics, BUDGET_CLOCK],
      useFactory: createBudgetLedger,
    },
    BudgetReadiness,
  ],
  exports: [BudgetLedger, PriceTable],
})
export class BudgetsModule {}
