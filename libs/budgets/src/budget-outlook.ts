import type { Logger } from '@nestjs/common';
import type { BudgetStatus, BudgetUsage } from './budget-ledger.js';
import type { BudgetMetrics } from './budget-metrics.js';
import type { BudgetClock } from './budgets.constants.js';
import type { CalendarPeriod } from './calendar-period.js';
import type { CountedBudget } from './counted-budget.js';

/** One budget's counter as this process last learned it. */
interface Learned {
  period: CalendarPeriod;
  /** Points counted this period, every replica together. */
  used: number;
  /**
   * A request of this many points was refused this period, and has not
   * been seen to fit since. It keeps the budget used up below the limit:
   * the refused task would be refused again, while smaller ones took what
   * is left and starved it.
   */
  refusedNeed: number | undefined;
  /** The used-up warning was logged (once per time the budget is used up). */
  announced: boolean;
}

/**
 * What this process knows of every budget, from the counters' answers it
 * has seen: the status without asking the store, and its announcements
 * (the log lines, the gauges) when it changes. A budget is used up when
 * its counter reached the limit or refused a request; the next calendar
 * period opens it again, whatever was learned, because its key is new.
 */
export class BudgetOutlook {
  private readonly learned = new Map<CountedBudget, Learned>();
  private wasUsedUp = false;

  constructor(
    private readonly budgets: readonly CountedBudget[],
    private readonly clock: BudgetClock,
    private readonly metrics: BudgetMetrics,
    private readonly logger: Logger,
  ) {}

  /**
   * The counter of `budget` for `period` is `used`; `refusedNeed` when it
   * refused a request of that many points. An answer about an older period
   * (a late settle) changes nothing.
   */
  learn(
    budget: CountedBudget,
    period: CalendarPeriod,
    used: number,
    refusedNeed?: number,
  ): void {
    let learned = this.learned.get(budget);
    if (learned && learned.period.start > period.start) return;
    if (!learned || learned.period.start < period.start) {
      learned = { period, used, refusedNeed: undefined, announced: false };
      this.learned.set(budget, learned);
    }
    learned.used = used;
    if (refusedNeed !== undefined) learned.refusedNeed = refusedNeed;
    else if (
      learned.refusedNeed !== undefined &&
      budget.points - used >= learned.refusedNeed
    ) {
      learned.refusedNeed = undefined;
    }
    this.status();
  }

  /**
   * The work pause: used up while any budget without a scope is (they count
   * every request); `until` is the latest of their period ends. A used-up
   * scoped budget (a provider's, some models') stops nothing here: it
   * refuses the requests it applies to (`statusFor`). Every budget's gauges
   * and log lines are brought up to date.
   */
  status(): BudgetStatus {
    const latest = this.latestUsedUp(this.budgets, (budget) => !budget.scoped);
    if (!latest) {
      if (this.wasUsedUp) {
        this.wasUsedUp = false;
        this.logger.log('the budgets have room again: work resumes');
      }
      return { kind: 'open' };
    }
    this.wasUsedUp = true;
    return usedUpStatus(latest.budget, latest.until);
  }

  /**
   * Whether a request that `applicable` budgets apply to is refused without
   * asking the store: used up while any of them is, until the latest of
   * their period ends.
   */
  statusFor(applicable: readonly CountedBudget[]): BudgetStatus {
    const latest = this.latestUsedUp(applicable, () => true);
    return latest
      ? usedUpStatus(latest.budget, latest.until)
      : { kind: 'open' };
  }

  /** Of `budgets`, the used-up one that `counts` and opens last; announces each. */
  private latestUsedUp(
    budgets: readonly CountedBudget[],
    counts: (budget: CountedBudget) => boolean,
  ): { budget: CountedBudget; until: Date } | undefined {
    const now = this.clock();
    let latest: { budget: CountedBudget; until: Date } | undefined;
    for (const budget of budgets) {
      const learned = this.current(budget, now);
      const usedUp = learned !== undefined && isUsedUp(budget, learned);
      this.announce(budget, learned, usedUp);
      if (
        usedUp &&
        counts(budget) &&
        (!latest || learned.period.end > latest.until)
      ) {
        latest = { budget, until: learned.period.end };
      }
    }
    return latest;
  }

  usage(): BudgetUsage[] {
    const now = this.clock();
    return this.budgets.map((budget) => {
      const learned = this.current(budget, now);
      const used = learned?.used ?? 0;
      return {
        budget: budget.limit,
        used: budget.inUnit(used),
        remaining: budget.inUnit(Math.max(budget.points - used, 0)),
        resetsAt: (learned?.period ?? budget.periodAt(now)).end,
      };
    });
  }

  /** What was learned of the period `now` is in; nothing once it has ended. */
  private current(budget: CountedBudget, now: number): Learned | undefined {
    const learned = this.learned.get(budget);
    return learned && now < learned.period.end.getTime() ? learned : undefined;
  }

  private announce(
    budget: CountedBudget,
    learned: Learned | undefined,
    usedUp: boolean,
  ): void {
    const used = learned?.used ?? 0;
    this.metrics.budget(
      budget.limit,
      budget.inUnit(Math.max(budget.points - used, 0)),
      usedUp,
    );
    if (!learned) return;
    if (usedUp && !learned.announced) {
      learned.announced = true;
      this.logger.warn(
        `${usedUpMessage(budget, learned.period.end)}: work that needs it waits (${budget.describe(used)} counted)`,
      );
    } else if (!usedUp) {
      learned.announced = false;
    }
  }
}

const isUsedUp = (budget: CountedBudget, learned: Learned): boolean =>
  learned.used >= budget.points || learned.refusedNeed !== undefined;

const usedUpStatus = (budget: CountedBudget, until: Date): BudgetStatus => ({
  kind: 'used_up',
  budget: budget.limit,
  until,
  message: usedUpMessage(budget, until),
});

/** `the daily token budget (200,000) is used up until 2026-12-02T00:00:00.000Z`. */
export const usedUpMessage = (budget: CountedBudget, until: Date): string =>
  `${budget.name} is used up until ${until.toISOString()}`;
