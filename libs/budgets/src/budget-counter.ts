import {
  type RateLimiterAbstract,
  RateLimiterRes,
} from 'rate-limiter-flexible';
import { BudgetStoreUnavailableError } from './budget-errors.js';

/** A consume's answer: counted within the limit, or refused (and counted all the same, see `consume`). */
export type Consumption =
  { kind: 'counted'; used: number } | { kind: 'refused'; used: number };

/**
 * One budget's counters in the store, one key per calendar period, through
 * a rate-limiter-flexible limiter whose `points` is the budget's limit.
 * Every answer carries the counter's value after the change (`used`). A
 * store failure becomes a `BudgetStoreUnavailableError`.
 */
export class BudgetCounter {
  constructor(
    private readonly limiter: RateLimiterAbstract,
    /** `sqlite`, `redis`: for messages (never the URL, which may hold a password). */
    private readonly store: string,
  ) {}

  /**
   * Adds `points` if the counter stays within the limit. rate-limiter-flexible
   * adds them even when it refuses (the store increments first, then
   * compares): the caller takes a refused consume back with `takeBack`.
   */
  async consume(key: string, points: number): Promise<Consumption> {
    try {
      const answer = await this.limiter.consume(key, points);
      return { kind: 'counted', used: answer.consumedPoints };
    } catch (error) {
      if (error instanceof RateLimiterRes) {
        return { kind: 'refused', used: error.consumedPoints };
      }
      throw this.unavailable('count', error);
    }
  }

  /** Adds `points` whatever the limit: usage already spent. */
  async add(key: string, points: number): Promise<number> {
    try {
      return (await this.limiter.penalty(key, points)).consumedPoints;
    } catch (error) {
      throw this.unavailable('count', error);
    }
  }

  async takeBack(key: string, points: number): Promise<number> {
    try {
      return (await this.limiter.reward(key, points)).consumedPoints;
    } catch (error) {
      throw this.unavailable('give back', error);
    }
  }

  /** The counter's value; 0 before the period's first request. */
  async read(key: string): Promise<number> {
    try {
      return (await this.limiter.get(key))?.consumedPoints ?? 0;
    } catch (error) {
      throw this.unavailable('read', error);
    }
  }

  private unavailable(
    action: string,
    error: unknown,
  ): BudgetStoreUnavailableError {
    const reason = error instanceof Error ? error.message : String(error);
    return new BudgetStoreUnavailableError(
      `the budget store (${this.store}) could not ${action} usage: ${reason}`,
      { cause: error },
    );
  }
}
