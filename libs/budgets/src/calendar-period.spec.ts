import { calendarPeriod } from './calendar-period.js';

const at = (iso: string) => Date.parse(iso);
const iso = (date: Date) => date.toISOString();

describe('calendarPeriod (UTC)', () => {
  it('cuts minutes, hours and days at their starts', () => {
    const instant = at('2026-12-01T10:05:59.999Z');
    expect(calendarPeriod('minute', instant)).toEqual({
      start: new Date('2026-12-01T10:05:00.000Z'),
      end: new Date('2026-12-01T10:06:00.000Z'),
      label: '2026-12-01T10:05',
    });
    expect(calendarPeriod('hour', instant)).toEqual({
      start: new Date('2026-12-01T10:00:00.000Z'),
      end: new Date('2026-12-01T11:00:00.000Z'),
      label: '2026-12-01T10',
    });
    expect(calendarPeriod('day', instant)).toEqual({
      start: new Date('2026-12-01T00:00:00.000Z'),
      end: new Date('2026-12-02T00:00:00.000Z'),
      label: '2026-12-01',
    });
  });

  it('starts ISO weeks on Monday 00:00, Sunday included in the week before', () => {
    // 2026-12-01 is a Tuesday; 2026-12-06 a Sunday; 2026-12-07 a Monday.
    for (const instant of [
      '2026-11-30T00:00:00.000Z',
      '2026-12-01T12:00:00.000Z',
      '2026-12-06T23:59:59.999Z',
    ]) {
      const week = calendarPeriod('week', at(instant));
      expect(iso(week.start)).toBe('2026-11-30T00:00:00.000Z');
      expect(iso(week.end)).toBe('2026-12-07T00:00:00.000Z');
      expect(week.label).toBe('2026-11-30');
    }
    expect(
      iso(calendarPeriod('week', at('2026-12-07T00:00:00.000Z')).start),
    ).toBe('2026-12-07T00:00:00.000Z');
  });

  it('crosses years with weeks and months', () => {
    // 2027-01-01 is a Friday: its week began on Monday 2026-12-28.
    const week = calendarPeriod('week', at('2027-01-01T08:00:00.000Z'));
    expect(iso(week.start)).toBe('2026-12-28T00:00:00.000Z');
    expect(iso(week.end)).toBe('2027-01-04T00:00:00.000Z');
    const december = calendarPeriod('month', at('2026-12-31T23:59:59.999Z'));
    expect(december.label).toBe('2026-12');
    expect(iso(december.end)).toBe('2027-01-01T00:00:00.000Z');
  });

  it('gives months their own lengths, February of a leap year included', () => {
    const february = calendarPeriod('month', at('2028-02-29T12:00:00.000Z'));
    expect(iso(february.start)).toBe('2028-02-01T00:00:00.000Z');
    expect(iso(february.end)).toBe('2028-03-01T00:00:00.000Z');
    expect(
      iso(calendarPeriod('month', at('2027-02-28T00:00:00.000Z')).end),
    ).toBe('2027-03-01T00:00:00.000Z');
  });
});
