import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { RateLimiterSQLite } from 'rate-limiter-flexible';
import { asBetterSqlite3 } from './better-sqlite3-shape.js';
import { BudgetCounter } from './budget-counter.js';
import {
  type BudgetCounterStore,
  COUNTER_KEY_PREFIX,
} from './budget-counter-store.js';
import { COUNTER_LIFETIME_SECONDS } from './calendar-period.js';
import type { CountedBudget } from './counted-budget.js';

const TABLE = 'budget_usage';
/** How long a write waits for another process holding the file's lock. */
const BUSY_TIMEOUT_MS = 5_000;

/**
 * `BUDGET_STORE=sqlite:<path>`: usage in an embedded SQLite file, for one
 * replica; it survives restarts. Node's `node:sqlite`, no native module.
 */
export class SqliteCounterStore implements BudgetCounterStore {
  readonly kind = 'sqlite';

  private constructor(private readonly db: DatabaseSync) {}

  /** Opens (creating it and its folder if needed) the file at `path`. */
  static open(path: string): SqliteCounterStore {
    mkdirSync(dirname(path), { recursive: true });
    const db = new DatabaseSync(path, { timeout: BUSY_TIMEOUT_MS });
    // WAL: a reader (refresh) never waits for a writer.
    db.exec('PRAGMA journal_mode = WAL');
    return new SqliteCounterStore(db);
  }

  async counter(budget: CountedBudget): Promise<BudgetCounter> {
    const client = asBetterSqlite3(this.db);
    // The limiter creates its table (IF NOT EXISTS) asynchronously and
    // refuses to count until then: wait for its ready callback, which comes
    // after the constructor has returned.
    const limiter = await new Promise<RateLimiterSQLite>((resolve, reject) => {
      const created: RateLimiterSQLite = new RateLimiterSQLite(
        {
          storeClient: client,
          storeType: 'better-sqlite3',
          tableName: TABLE,
          keyPrefix: COUNTER_KEY_PREFIX,
          points: budget.points,
          duration: COUNTER_LIFETIME_SECONDS[budget.limit.period],
        },
        (error?: Error) => (error ? reject(error) : resolve(created)),
      );
    });
    return new BudgetCounter(limiter, this.kind);
  }

  prune(): void {
    // Expiry is the limiter's wall-clock `expire` column, as it writes it.
    try {
      this.db.prepare(`DELETE FROM ${TABLE} WHERE expire < ?`).run(Date.now());
    } catch {
      // No table yet (no counter made), or the file is busy: next time.
    }
  }

  async close(): Promise<void> {
    if (this.db.isOpen) this.db.close();
  }
}
