import {
  type BudgetLimit,
  type BudgetPeriod,
  matchesModelPattern,
} from '@app/config';
import { type CalendarPeriod, calendarPeriod } from './calendar-period.js';

/** Micro-dollars per US dollar: USD budgets are counted in whole micro-dollars. */
export const MICRO_USD_PER_USD = 1_000_000;

const ADJECTIVE: Readonly<Record<BudgetPeriod, string>> = {
  minute: 'per-minute',
  hour: 'hourly',
  day: 'daily',
  week: 'weekly',
  month: 'monthly',
};

const groupedNumber = new Intl.NumberFormat('en-US');
const dollars = new Intl.NumberFormat('en-US', {
  style: 'currency',
  currency: 'USD',
  minimumFractionDigits: 2,
  maximumFractionDigits: 6,
});

/**
 * The `scope` label of a budget's gauges: `all`, `provider:openai`,
 * `model:gpt-4o*`, `provider:openai,model:gpt-4o*`. Bounded: it comes from
 * the configuration, never from what tasks name.
 */
export const budgetScopeLabel = ({ provider, model }: BudgetLimit): string => {
  const parts = [
    ...(provider === undefined ? [] : [`provider:${provider}`]),
    ...(model === undefined ? [] : [`model:${model}`]),
  ];
  return parts.length === 0 ? 'all' : parts.join(',');
};

/**
 * A configured budget in the integer points its counter holds: tokens, or
 * micro-dollars for a USD budget (counters add integers only, and a
 * micro-dollar is below any price a request is billed at).
 */
export class CountedBudget {
  /** The limit in points. */
  readonly points: number;

  constructor(readonly limit: BudgetLimit) {
    this.points =
      limit.unit === 'tokens'
        ? limit.limit
        : Math.round(limit.limit * MICRO_USD_PER_USD);
  }

  /** Whether it counts only some requests (a provider's, some models'); unscoped ones count all. */
  get scoped(): boolean {
    return this.limit.provider !== undefined || this.limit.model !== undefined;
  }

  /** Whether a request to `provider` for `model` counts against it. */
  appliesTo({ provider, model }: { provider: string; model: string }): boolean {
    return (
      (this.limit.provider === undefined || this.limit.provider === provider) &&
      (this.limit.model === undefined ||
        matchesModelPattern(this.limit.model, model))
    );
  }

  /**
   * `the daily token budget (200,000)`, `the monthly USD budget ($50.00)`,
   * `the daily token budget of provider openai (200,000)`, `the monthly USD
   * budget of models gpt-4o* ($50.00)`.
   */
  get name(): string {
    const { period, unit, limit, provider, model } = this.limit;
    const scope = [
      ...(provider === undefined ? [] : [`provider ${provider}`]),
      ...(model === undefined ? [] : [`models ${model}`]),
    ];
    const of = scope.length === 0 ? '' : ` of ${scope.join(', ')}`;
    return unit === 'tokens'
      ? `the ${ADJECTIVE[period]} token budget${of} (${groupedNumber.format(limit)})`
      : `the ${ADJECTIVE[period]} USD budget${of} (${dollars.format(limit)})`;
  }

  /** Points in the budget's own unit: tokens, or US dollars. */
  inUnit(points: number): number {
    return this.limit.unit === 'tokens' ? points : points / MICRO_USD_PER_USD;
  }

  /** `200,000 tokens`, `$1.25`. */
  describe(points: number): string {
    return this.limit.unit === 'tokens'
      ? `${groupedNumber.format(points)} tokens`
      : dollars.format(points / MICRO_USD_PER_USD);
  }

  periodAt(atMs: number): CalendarPeriod {
    return calendarPeriod(this.limit.period, atMs);
  }

  /**
   * The counter's key (under the store's `budget` prefix):
   * `day:tokens:2026-12-01`, with the scope when it has one:
   * `day:tokens:provider=openai:2026-12-01`,
   * `month:usd:model=gpt-4o*:2026-12`,
   * `day:tokens:provider=openai:model=gpt-4o*:2026-12-01`.
   */
  key(period: CalendarPeriod): string {
    const { provider, model } = this.limit;
    return [
      this.limit.period,
      this.limit.unit,
      ...(provider === undefined ? [] : [`provider=${provider}`]),
      ...(model === undefined ? [] : [`model=${model}`]),
      period.label,
    ].join(':');
  }
}
