import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Machine } from './machine.ts';

/** One line of the printed table. */
export interface Row {
  case: string;
  tasks: number;
  tasksPerSecond: number | null;
  /** The case's headline figures, short. */
  figures: string;
  /** `met`, `missed` or `-` (no target). */
  target: string;
}

export interface Target {
  goal: string;
  met: boolean;
}

export interface CaseResult {
  case: string;
  /** What the service and the sandbox were run with. */
  settings: Record<string, unknown>;
  figures: Record<string, unknown>;
  targets: Target[];
  rows: Row[];
  notes?: string[];
  /** Set when the case ran more than once: what every run's rows said. */
  repeats?: Repeats;
}

export interface Repeats {
  runs: number;
  reported: string;
  perRun: Pick<Row, 'case' | 'tasksPerSecond' | 'figures'>[][];
}

export interface ResultFile extends Omit<CaseResult, 'rows'> {
  date: string;
  startedAt: string;
  scale: 'full' | 'quick';
  profiled: boolean;
  machine: Machine;
}

/** `bench/results/<YYYY-MM-DD>-<case>.json`, written whole or not at all. */
export function writeResult(directory: string, result: ResultFile): string {
  mkdirSync(directory, { recursive: true });
  const suffix = result.profiled ? '.profile' : '';
  const file = join(directory, `${result.date}-${result.case}${suffix}.json`);
  const partial = `${file}.tmp`;
  writeFileSync(partial, `${JSON.stringify(result, null, 2)}\n`);
  renameSync(partial, file);
  return file;
}

/**
 * Of several runs of one case, for each row the run with the median tasks/s
 * in that row (the lower of the middle two for an even count). Figures come
 * from the first row's median run, except `figures.runs` when it holds one
 * entry per row (cpu-bound): each entry comes from its own row's median run.
 * Rows also name the range over all runs; `repeats` keeps what every run said.
 * A target counts as met only when every run met it.
 */
export function medianRun(results: readonly CaseResult[]): CaseResult {
  if (results.length === 1) return results[0];
  const medianFor = (row: number): CaseResult => {
    const rate = (result: CaseResult) => result.rows[row]?.tasksPerSecond ?? 0;
    const sorted = [...results].sort((a, b) => rate(a) - rate(b));
    return sorted[Math.floor((sorted.length - 1) / 2)];
  };
  const first = medianFor(0);
  const rows = first.rows.map((_, index) => {
    const rates = results.flatMap(
      (result) => result.rows[index]?.tasksPerSecond ?? [],
    );
    const row = medianFor(index).rows[index];
    return {
      ...row,
      figures: `${row.figures}; median of ${results.length} runs (${Math.min(...rates)}–${Math.max(...rates)} tasks/s)`,
    };
  });
  const perRow = (result: CaseResult): unknown[] | undefined => {
    const { runs } = result.figures;
    return Array.isArray(runs) && runs.length === result.rows.length
      ? runs
      : undefined;
  };
  const figures = perRow(first)
    ? {
        ...first.figures,
        runs: rows.map((_, index) => perRow(medianFor(index))?.[index]),
      }
    : first.figures;
  const targets = first.targets.map((target, index) => ({
    ...target,
    met: results.every((result) => result.targets[index]?.met === true),
  }));
  return {
    ...first,
    figures,
    targets,
    rows,
    repeats: {
      runs: results.length,
      reported: 'for each row, the run with the median tasks/s in that row',
      perRun: results.map((result) =>
        result.rows.map(({ case: name, tasksPerSecond, figures: text }) => ({
          case: name,
          tasksPerSecond,
          figures: text,
        })),
      ),
    },
  };
}

export function targetLabel(targets: readonly Target[]): string {
  if (targets.length === 0) return '-';
  return targets.every((target) => target.met) ? 'met' : 'missed';
}

/** A plain-text table, also valid Markdown. */
export function formatTable(rows: readonly Row[]): string {
  const header = ['case', 'tasks', 'tasks/s', 'figures', 'target'];
  const cells = rows.map((row) => [
    row.case,
    row.tasks.toLocaleString('en-US'),
    row.tasksPerSecond === null ? '-' : String(row.tasksPerSecond),
    row.figures,
    row.target,
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...cells.map((line) => line[column].length)),
  );
  const line = (values: readonly string[]) =>
    `| ${values.map((value, column) => value.padEnd(widths[column])).join(' | ')} |`;
  return [
    line(header),
    `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`,
    ...cells.map(line),
  ].join('\n');
}
