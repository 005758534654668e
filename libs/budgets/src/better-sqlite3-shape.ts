import type { DatabaseSync, StatementSync } from 'node:sqlite';

/**
 * Exactly what RateLimiterSQLite (`storeType: 'better-sqlite3'`) uses of a
 * better-sqlite3 database: `prepare(sql).run/get`, and `transaction(fn)`,
 * which returns a function running `fn` inside a transaction. It also
 * checks that the client has no `run` (sqlite3's), which this shape lacks.
 */
export interface BetterSqlite3Shape {
  prepare(sql: string): StatementSync;
  transaction<A extends unknown[], R>(fn: (...args: A) => R): (...args: A) => R;
}

/**
 * Node's built-in `node:sqlite` database in the shape rate-limiter-flexible
 * expects of better-sqlite3, so the service needs no native module.
 * `BEGIN IMMEDIATE` takes the write lock at once: two processes on one file
 * (a restart overlapping its predecessor) wait on the busy timeout rather
 * than fail half-way through an upsert.
 */
export function asBetterSqlite3(db: DatabaseSync): BetterSqlite3Shape {
  return {
    prepare: (sql) => db.prepare(sql),
    transaction:
      (fn) =>
      (...args) => {
        db.exec('BEGIN IMMEDIATE');
        try {
          const result = fn(...args);
          db.exec('COMMIT');
          return result;
        } catch (error) {
          if (db.isTransaction) db.exec('ROLLBACK');
          throw error;
        }
      },
  };
}
