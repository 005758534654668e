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
