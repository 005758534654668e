import { Module } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { BudgetLedger, BudgetsModule } from '@app/budgets';
import { ServiceConfig } from '@app/config';
import { METRIC, getMetricToken } from '@app/observability';
import { ProviderPacer } from '@app/resilience';
import { PacedSpendGate } from './paced-spend-gate.js';
import { ProviderRoutes } from './provider-routes.js';
import { OpenSpendGate, SpendGate } from './spend-gate.js';

/**
 * The providers AI work goes to, which model goes where, and the gate
 * every request passes (pacing, budgets): one of each for embeddings and
 * chat together, so that both share a provider's rate limits and the
 * budgets. Mock mode spends nothing: its gate is open.
 */
@Module({
  imports: [BudgetsModule],
  providers: [
    ProviderRoutes,
    {
      provide: SpendGate,
      inject: [
        ServiceConfig,
        ProviderRoutes,
        BudgetLedger,
        getMetricToken(METRIC.providerPausedSeconds),
      ],
      useFactory: (
        config: ServiceConfig,
        routes: ProviderRoutes,
        ledger: BudgetLedger,
        paused: Counter<'provider'>,
      ): SpendGate => {
        if (config.embeddings.provider.kind === 'mock')
          return new OpenSpendGate();
        const pacers = new Map(
          routes.providers.map(({ name, rpm, tpm }) => {
            const pacer = new ProviderPacer({ rpm, tpm });
            pacer.listen({
              held: (ms) => paused.inc({ provider: name }, ms / 1000),
            });
            return [name, pacer];
          }),
        );
        return new PacedSpendGate(pacers, ledger);
      },
    },
  ],
  exports: [ProviderRoutes, SpendGate],
})
export class ProvidersModule {}
