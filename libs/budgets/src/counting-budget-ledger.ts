import { Logger, type OnApplicationShutdown } from '@nestjs/common';
import type { BudgetCounter, Consumption } from './budget-counter.js';
import type { BudgetCounterStore } from './budget-counter-store.js';
import {
  BudgetStoreUnavailableError,
  BudgetUsedUpError,
  RequestOverBudgetError,
} from './budget-errors.js';
import {
  BudgetLedger,
  type BudgetRequest,
  type BudgetReservation,
  type BudgetStatus,
  type BudgetUsage,
  type SpentTokens,
} from './budget-ledger.js';
import type { BudgetMetrics } from './budget-metrics.js';
import { BudgetOutlook, usedUpMessage } from './budget-outlook.js';
import type { BudgetClock } from './budgets.constants.js';
import type { CalendarPeriod } from './calendar-period.js';
import { type CountedBudget, MICRO_USD_PER_USD } from './counted-budget.js';
import { type PriceTable, roundUp } from './price-table.js';

/** A budget and its counter in the store. */
interface Metered {
  budget: CountedBudget;
  counter: BudgetCounter;
}

/** A request's share of one budget: `points` on the key of `period`. */
interface Charge extends Metered {
  period: CalendarPeriod;
  key: string;
  points: number;
}

/** Unknown models are remembered to be warned about once; a bound on tasks that name many. */
const MAX_UNKNOWN_MODELS = 100;

/** Whole, non-negative points from a count a caller passed. */
const whole = (count: number): number =>
  Number.isFinite(count) ? Math.max(0, Math.ceil(count)) : 0;

/**
 * The budgets counted in a store (SQLite or Redis) through one
 * rate-limiter-flexible limiter per budget, keyed by calendar period.
 *
 * A reservation consumes from every budget at once; when any refuses, or
 * the store fails, everything the store counted for it is given back,
 * including what the refusing limiter added (it increments before it
 * compares). Counters thus only ever hold requests that were let through,
 * and every consume compares the counter *with* all in-flight requests of
 * every replica, so replicas together never pass a limit; the price is
 * that two requests racing for the last room may both be refused.
 */
export class CountingBudgetLedger
  extends BudgetLedger
  implements OnApplicationShutdown
{
  private readonly logger = new Logger(BudgetLedger.name);
  private readonly outlook: BudgetOutlook;
  private readonly hasUsdBudget: boolean;
  private readonly unknownModels = new Set<string>();

  private constructor(
    private readonly metered: readonly Metered[],
    private readonly store: BudgetCounterStore,
    private readonly prices: PriceTable,
    private readonly metrics: BudgetMetrics,
    private readonly clock: BudgetClock,
  ) {
    super();
    this.outlook = new BudgetOutlook(
      metered.map(({ budget }) => budget),
      clock,
      metrics,
      this.logger,
    );
    this.hasUsdBudget = metered.some(
      ({ budget }) => budget.limit.unit === 'usd',
    );
  }

  /**
   * A counter per budget in `store`, and the counters' current values (a
   * restarted process knows at once what was spent). The store being away
   * does not stop the start-up: reservations fail transiently until it is
   * back. The ledger owns the store from here on.
   */
  static async open(
    budgets: readonly CountedBudget[],
    store: BudgetCounterStore,
    prices: PriceTable,
    metrics: BudgetMetrics,
    clock: BudgetClock,
  ): Promise<CountingBudgetLedger> {
    let ledger: CountingBudgetLedger;
    try {
      const counters = await Promise.all(
        budgets.map((budget) => store.counter(budget)),
      );
      ledger = new CountingBudgetLedger(
        budgets.map((budget, index) => ({ budget, counter: counters[index] })),
        store,
        prices,
        metrics,
        clock,
      );
    } catch (error) {
      await store.close();
      throw error;
    }
    ledger.logger.log(
      `spending budgets: ${budgets.map(({ name }) => name).join(', ')}; usage counted in ${store.kind}`,
    );
    await ledger.refresh().catch((error: unknown) => {
      ledger.logger.warn(
        `budget usage not read at start-up: ${(error as Error).message}`,
      );
    });
    return ledger;
  }

  async reserve(request: BudgetRequest): Promise<BudgetReservation> {
    // Only the budgets whose scope holds the request: a provider's budget
    // counts that provider's requests, a model pattern's those of the
    // models it matches, an unscoped one every request.
    const applicable = this.metered.filter(({ budget }) =>
      budget.appliesTo(request),
    );
    const applicableBudgets = applicable.map(({ budget }) => budget);
    // Refused without a store call while one of them is known used up
    // (until its period ends): a released task coming back at the next
    // poll costs nothing.
    const before = this.outlook.statusFor(applicableBudgets);
    if (before.kind === 'used_up') throw usedUpError(before);
    const now = this.clock();
    const charges = applicable.map((metered): Charge => {
      const period = metered.budget.periodAt(now);
      return {
        ...metered,
        period,
        key: metered.budget.key(period),
        points: this.pointsOf(metered.budget, request),
      };
    });
    const oversized = charges.find(
      ({ budget, points }) => points > budget.points,
    );
    if (oversized) {
      throw new RequestOverBudgetError(
        `a request of ${oversized.budget.describe(oversized.points)} is more than the whole of ${oversized.budget.name}`,
        oversized.budget.limit,
      );
    }
    const counted = charges.filter(({ points }) => points > 0);
    const answers = await Promise.allSettled(
      counted.map(({ counter, key, points }) => counter.consume(key, points)),
    );
    if (answers.every(isCounted)) {
      counted.forEach(({ budget, period }, index) =>
        this.outlook.learn(budget, period, answers[index].value.used),
      );
      return this.reservation(request, charges);
    }
    await Promise.all(
      counted.map((charge, index) => this.giveBack(charge, answers[index])),
    );
    const refused = counted.find(
      (_, index) => fulfilled(answers[index])?.kind === 'refused',
    );
    if (refused) {
      const status = this.outlook.statusFor(applicableBudgets);
      throw usedUpError(
        status.kind === 'used_up'
          ? status
          : // The period ended while the request was refused: retry at once.
            {
              kind: 'used_up',
              budget: refused.budget.limit,
              until: refused.period.end,
              message: usedUpMessage(refused.budget, refused.period.end),
            },
      );
    }
    const failure = answers.find(
      (answer): answer is PromiseRejectedResult => answer.status === 'rejected',
    );
    throw failure?.reason instanceof BudgetStoreUnavailableError
      ? failure.reason
      : new BudgetStoreUnavailableError(
          `the budget store (${this.store.kind}) failed`,
          { cause: failure?.reason },
        );
  }

  status(): BudgetStatus {
    return this.outlook.status();
  }

  async refresh(): Promise<BudgetStatus> {
    const now = this.clock();
    this.store.prune();
    await Promise.all(
      this.metered.map(async ({ budget, counter }) => {
        const period = budget.periodAt(now);
        this.outlook.learn(
          budget,
          period,
          await counter.read(budget.key(period)),
        );
      }),
    );
    return this.outlook.status();
  }

  usage(): BudgetUsage[] {
    return this.outlook.usage();
  }

  async onApplicationShutdown(): Promise<void> {
    // Not on module destroy: tasks still drain (and settle) in
    // beforeApplicationShutdown, which comes after it.
    await this.store.close();
  }

  /**
   * What `request` takes from `budget`: its tokens, or its cost in
   * micro-dollars (the caller's `maxUsd`, else every token at the model's
   * higher price).
   */
  private pointsOf(budget: CountedBudget, request: BudgetRequest): number {
    if (budget.limit.unit === 'tokens') return whole(request.tokens);
    this.warnOfUnknownModel(request.model);
    return request.maxUsd === undefined
      ? this.prices.reserveMicroUsd(request.model, whole(request.tokens))
      : roundUp(request.maxUsd * MICRO_USD_PER_USD);
  }

  private warnOfUnknownModel(model: string): void {
    if (!this.hasUsdBudget || this.prices.knownName(model) !== undefined)
      return;
    if (this.unknownModels.has(model)) return;
    if (this.unknownModels.size >= MAX_UNKNOWN_MODELS) return;
    this.unknownModels.add(model);
    this.logger.warn(
      `the model ${model} has no price: its requests cost 0 USD against the USD budgets (BUDGET_PRICES_FILE adds prices)`,
    );
  }

  /** Takes back what the store counted for a request that was not let through. */
  private async giveBack(
    charge: Charge,
    answer: PromiseSettledResult<Consumption>,
  ): Promise<void> {
    // A failed consume is not known to have counted anything: a command
    // that never reached the store must not be taken back.
    if (answer.status === 'rejected') return;
    const refusedNeed =
      answer.value.kind === 'refused' ? charge.points : undefined;
    try {
      const used = await charge.counter.takeBack(charge.key, charge.points);
      this.outlook.learn(charge.budget, charge.period, used, refusedNeed);
    } catch (error) {
      this.outlook.learn(
        charge.budget,
        charge.period,
        answer.value.used,
        refusedNeed,
      );
      this.logger.warn(
        `${charge.budget.name} keeps counting ${charge.budget.describe(charge.points)} of a request that was not sent: ${(error as Error).message}`,
      );
    }
  }

  private reservation(
    request: BudgetRequest,
    charges: readonly Charge[],
  ): BudgetReservation {
    let done = false;
    return {
      settle: async (spent) => {
        if (done) return;
        done = true;
        const actual: SpentTokens = {
          promptTokens: whole(spent.promptTokens),
          completionTokens: whole(spent.completionTokens),
        };
        this.metrics.spent(
          request.provider,
          request.model,
          this.prices.costUsd(request.model, actual),
        );
        await this.adjust(charges, ({ budget }) =>
          budget.limit.unit === 'tokens'
            ? actual.promptTokens + actual.completionTokens
            : this.prices.costMicroUsd(request.model, actual),
        );
      },
      cancel: async () => {
        if (done) return;
        done = true;
        await this.adjust(charges, () => 0);
      },
    };
  }

  /**
   * Moves every charge to what `target` says it is: gives back what was
   * reserved and not used, or counts what was used beyond it, even past the
   * limit (it was spent). Counted in the period it was reserved in.
   */
  private async adjust(
    charges: readonly Charge[],
    target: (charge: Charge) => number,
  ): Promise<void> {
    await Promise.all(
      charges.map(async (charge) => {
        const difference = target(charge) - charge.points;
        if (difference === 0) return;
        try {
          const used =
            difference < 0
              ? await charge.counter.takeBack(charge.key, -difference)
              : await charge.counter.add(charge.key, difference);
          this.outlook.learn(charge.budget, charge.period, used);
        } catch (error) {
          this.logger.warn(
            `${charge.budget.name} could not count ${difference < 0 ? 'less' : 'more'} (${charge.budget.describe(Math.abs(difference))}) than was reserved: ${(error as Error).message}`,
          );
        }
      }),
    );
  }
}

const isCounted = (
  answer: PromiseSettledResult<Consumption>,
): answer is PromiseFulfilledResult<Consumption> =>
  answer.status === 'fulfilled' && answer.value.kind === 'counted';

const fulfilled = (
  answer: PromiseSettledResult<Consumption>,
): Consumption | undefined =>
  answer.status === 'fulfilled' ? answer.value : undefined;

const usedUpError = (
  status: BudgetStatus & { kind: 'used_up' },
): BudgetUsedUpError =>
  new BudgetUsedUpError(status.message, status.budget, status.until);
