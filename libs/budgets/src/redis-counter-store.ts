import { Logger } from '@nestjs/common';
import { Redis, type RedisOptions } from 'ioredis';
import { RateLimiterRedis } from 'rate-limiter-flexible';
import { BudgetCounter } from './budget-counter.js';
import {
  type BudgetCounterStore,
  COUNTER_KEY_PREFIX,
} from './budget-counter-store.js';
import { COUNTER_LIFETIME_SECONDS } from './calendar-period.js';
import type { CountedBudget } from './counted-budget.js';

/**
 * How the client behaves when Redis is away. Every choice is for the same
 * rule: a request is either counted or refused at once, never held and
 * never counted twice.
 */
export const REDIS_CLIENT_OPTIONS: RedisOptions = {
  // Connected by `open`, which waits for it (bounded by connectTimeout).
  lazyConnect: true,
  // A command while disconnected fails at once (a transient error) rather
  // than wait in a queue while a task holds its slot.
  enableOfflineQueue: false,
  // A command whose answer was lost is never resent: an INCRBY sent twice
  // would count a request twice.
  maxRetriesPerRequest: 0,
  autoResendUnfulfilledCommands: false,
  connectTimeout: 2_000,
  commandTimeout: 2_000,
  // Reconnects for as long as the process lives, at most 2 s apart: the
  // budget resumes by itself when Redis is back.
  retryStrategy: (attempt: number) => Math.min(50 * 2 ** attempt, 2_000),
};

/**
 * `BUDGET_STORE=redis`: usage in Redis (`REDIS_URL`), shared by every
 * replica. Each consume is one Lua script (rate-limiter-flexible's), so
 * replicas counting at once never pass a limit together.
 */
export class RedisCounterStore implements BudgetCounterStore {
  readonly kind = 'redis';
  private readonly logger = new Logger(RedisCounterStore.name);
  /** Logged once per outage, not once per failed attempt. */
  private down = false;
  private closing = false;

  private constructor(private readonly client: Redis) {
    client.on('error', (error: Error) => this.lost(error.message));
    client.on('close', () => this.lost('the connection closed'));
    client.on('ready', () => {
      if (!this.down) return;
      this.down = false;
      this.logger.log('Redis (budgets) answers again');
    });
  }

  private lost(reason: string): void {
    if (this.down || this.closing) return;
    this.down = true;
    this.logger.warn(
      `Redis (budgets) is unreachable: work that spends waits until it answers (${reason})`,
    );
  }

  /**
   * Connects to `url`. Redis being away does not stop the start-up: the
   * client keeps reconnecting, and reservations fail (transiently) until
   * it answers.
   */
  static async open(
    url: string,
    options: RedisOptions = REDIS_CLIENT_OPTIONS,
  ): Promise<RedisCounterStore> {
    const store = new RedisCounterStore(new Redis(url, options));
    await store.client.connect().catch(() => {
      // Reported by the 'error' listener; reconnection goes on.
    });
    return store;
  }

  async counter(budget: CountedBudget): Promise<BudgetCounter> {
    const limiter = new RateLimiterRedis({
      storeClient: this.client,
      keyPrefix: COUNTER_KEY_PREFIX,
      points: budget.points,
      duration: COUNTER_LIFETIME_SECONDS[budget.limit.period],
      // Fail at once while disconnected, whatever the client's queue does.
      rejectIfRedisNotReady: true,
    });
    return new BudgetCounter(limiter, this.kind);
  }

  prune(): void {
    // Every key expires by itself (its period's lifetime).
  }

  async close(): Promise<void> {
    this.closing = true;
    try {
      if (this.client.status === 'ready') await this.client.quit();
    } catch {
      // Closing anyway.
    } finally {
      this.client.disconnect();
    }
  }
}
