import { Injectable } from '@nestjs/common';
import type { Counter, Gauge } from 'prom-client';
import type { BudgetLimit } from '@app/config';
import { ServiceConfig } from '@app/config';
import { InjectMetric, METRIC } from '@app/observability';
import { budgetScopeLabel } from './counted-budget.js';
import { PriceTable } from './price-table.js';

/** The label of whatever is not one of a bounded set of names. */
const OTHER = 'other';

/**
 * `ai_spend_usd_total{provider, model}`, `ai_budget_limit{period, unit, scope}`,
 * `ai_budget_remaining{period, unit, scope}` and
 * `ai_budget_exhausted{period, unit, scope}`. Labels stay bounded whatever
 * tasks name: providers as configured, models as the price table knows
 * them, anything else `other`; a budget's `scope` (`all`,
 * `provider:<name>`, `model:<pattern>`) as configured.
 */
@Injectable()
export class BudgetMetrics {
  private readonly providers: ReadonlySet<string>;

  constructor(
    config: ServiceConfig,
    private readonly prices: PriceTable,
    @InjectMetric(METRIC.spendUsd)
    private readonly spend: Counter<'provider' | 'model'>,
    @InjectMetric(METRIC.budgetRemaining)
    private readonly remaining: Gauge<'period' | 'unit' | 'scope'>,
    @InjectMetric(METRIC.budgetExhausted)
    private readonly exhausted: Gauge<'period' | 'unit' | 'scope'>,
    @InjectMetric(METRIC.budgetLimit)
    limits: Gauge<'period' | 'unit' | 'scope'>,
  ) {
    this.providers = new Set([
      'mock',
      ...config.providers.list.map(({ name }) => name),
    ]);
    // Known from the start, so that alerts can tell the share used.
    for (const budget of config.budgets.limits) {
      limits.set(labelsOf(budget), budget.limit);
    }
  }

  spent(provider: string, model: string, usd: number): void {
    this.spend.inc(
      {
        provider: this.providers.has(provider) ? provider : OTHER,
        model: this.prices.knownName(model) ?? OTHER,
      },
      usd,
    );
  }

  /** `remaining` in the budget's unit (tokens or US dollars). */
  budget(budget: BudgetLimit, remaining: number, usedUp: boolean): void {
    const labels = labelsOf(budget);
    this.remaining.set(labels, remaining);
    this.exhausted.set(labels, usedUp ? 1 : 0);
  }
}

const labelsOf = (budget: BudgetLimit) => ({
  period: budget.period,
  unit: budget.unit,
  scope: budgetScopeLabel(budget),
});
