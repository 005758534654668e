import { describe, expect, it } from 'vitest';
import { type CaseResult, medianRun } from './results.ts';

const result = (...rates: number[]): CaseResult => ({
  case: 'latency-bound',
  settings: {},
  figures: { tasksPerSecond: rates[0] },
  targets: [],
  rows: rates.map((rate, index) => ({
    case: `row ${index}`,
    tasks: 10,
    tasksPerSecond: rate,
    figures: `run at ${rates[0]}`,
    target: '-',
  })),
});

describe('medianRun', () => {
  it('reports a single run as it is', () => {
    const only = result(700);
    expect(medianRun([only])).toBe(only);
  });

  it('reports the run with the median rate in its first row, with every row’s range', () => {
    const median = medianRun([
      result(738, 10),
      result(625, 30),
      result(690, 20),
    ]);
    expect(median.figures).toEqual({ tasksPerSecond: 690 });
    expect(median.rows.map((row) => row.figures)).toEqual([
      'run at 690; median of 3 runs (625–738 tasks/s)',
      'run at 690; median of 3 runs (10–30 tasks/s)',
    ]);
    expect(median.repeats?.runs).toBe(3);
    expect(
      median.repeats?.perRun.map((rows) => rows[0].tasksPerSecond),
    ).toEqual([738, 625, 690]);
  });

  it('takes each row, and its entry of figures.runs, from that row’s own median run', () => {
    const withRuns = (a: number, b: number): CaseResult => ({
      ...result(a, b),
      figures: { runs: [{ rate: a }, { rate: b }] },
    });
    const median = medianRun([
      withRuns(10, 300),
      withRuns(30, 100),
      withRuns(20, 200),
    ]);
    expect(median.figures).toEqual({ runs: [{ rate: 20 }, { rate: 200 }] });
    expect(median.rows.map((row) => row.tasksPerSecond)).toEqual([20, 200]);
  });

  it('counts a target as met only when every run met it', () => {
    const withTarget = (rate: number, met: boolean): CaseResult => ({
      ...result(rate),
      targets: [{ goal: 'peak RSS under 256 MB', met }],
    });
    const met = (...runs: boolean[]) =>
      medianRun(runs.map((ok, index) => withTarget(index, ok))).targets[0].met;
    expect(met(true, true, true)).toBe(true);
    expect(met(true, false, true)).toBe(false);
  });

  it('takes the lower of the middle two for an even count', () => {
    expect(
      medianRun([result(4), result(1), result(3), result(2)]).figures,
    ).toEqual({ tasksPerSecond: 2 });
  });
});
