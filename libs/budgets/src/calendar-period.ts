import type { BudgetPeriod } from '@app/config';

/** One calendar period (UTC) of a budget: the minute, hour, day, ISO week or month `at` falls in. */
export interface CalendarPeriod {
  start: Date;
  /** The next period's start: when a budget used up in this one resets. */
  end: Date;
  /** The start, as short as it can be written: `2026-12-01T10:05`, `2026-12-01T10`, `2026-12-01`, `2026-12`. */
  label: string;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;

const iso = (ms: number) => new Date(ms).toISOString();

/** The calendar period of `period` that holds the instant `atMs` (milliseconds since the epoch). */
export function calendarPeriod(
  period: BudgetPeriod,
  atMs: number,
): CalendarPeriod {
  const at = new Date(atMs);
  switch (period) {
    case 'minute': {
      const start = Math.floor(atMs / MINUTE_MS) * MINUTE_MS;
      return span(start, start + MINUTE_MS, iso(start).slice(0, 16));
    }
    case 'hour': {
      const start = Math.floor(atMs / HOUR_MS) * HOUR_MS;
      return span(start, start + HOUR_MS, iso(start).slice(0, 13));
    }
    case 'day': {
      const start = Math.floor(atMs / DAY_MS) * DAY_MS;
      return span(start, start + DAY_MS, iso(start).slice(0, 10));
    }
    case 'week': {
      // ISO weeks start on Monday; getUTCDay() counts from Sunday.
      const sinceMonday = (at.getUTCDay() + 6) % 7;
      const start = Math.floor(atMs / DAY_MS) * DAY_MS - sinceMonday * DAY_MS;
      return span(start, start + 7 * DAY_MS, iso(start).slice(0, 10));
    }
    case 'month': {
      const year = at.getUTCFullYear();
      const month = at.getUTCMonth();
      const start = Date.UTC(year, month, 1);
      return span(start, Date.UTC(year, month + 1, 1), iso(start).slice(0, 7));
    }
  }
}

const span = (start: number, end: number, label: string): CalendarPeriod => ({
  start: new Date(start),
  end: new Date(end),
  label,
});

/**
 * How long (seconds) a period's counter is kept in the store. Twice the
 * longest period of its kind: however late in its period a counter is first
 * written, it outlives the period; a new period is a new key anyway, so the
 * expiry only removes counters nobody reads any more.
 */
export const COUNTER_LIFETIME_SECONDS: Readonly<Record<BudgetPeriod, number>> =
  {
    minute: 2 * 60,
    hour: 2 * 60 * 60,
    day: 2 * 24 * 60 * 60,
    week: 2 * 7 * 24 * 60 * 60,
    month: 2 * 31 * 24 * 60 * 60,
  };
