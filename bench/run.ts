/**
 * npm run bench [-- --case <name>[,<name>]] [--repeat <n>] [--quick] [--profile] [--out <dir>]
 *
 * Starts the built sandbox and service as separate processes on this
 * machine (loopback only), runs each case on a fresh backlog, prints a
 * table and writes bench/results/<date>-<case>.json. See docs/performance.md.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { cpuBound } from './cases/cpu-bound.ts';
import { latencyBound } from './cases/latency-bound.ts';
import { pickupLatency } from './cases/pickup-latency.ts';
import { throttled } from './cases/throttled.ts';
import { paced } from './cases/paced.ts';
import { unboundedPage } from './cases/unbounded-page.ts';
import type { BenchContext } from './lib/context.ts';
import { clockTicksPerSecond, describeMachine } from './lib/machine.ts';
import { ROOT } from './lib/processes.ts';
import {
  type CaseResult,
  type Row,
  formatTable,
  medianRun,
  targetLabel,
  writeResult,
} from './lib/results.ts';
import {
  type CpuProfile,
  formatSummary,
  summariseProfile,
} from './profile-summary.ts';

interface Case {
  run: (context: BenchContext) => Promise<CaseResult>;
  /**
   * Whether the case is run `--repeat` times. Pickup latency is not: its
   * insertion moments are seeded, and it takes 90 s a run.
   */
  repeated: boolean;
}

const CASES: Record<string, Case> = {
  'latency-bound': { run: latencyBound, repeated: true },
  'cpu-bound': { run: cpuBound, repeated: true },
  'unbounded-page': { run: unboundedPage, repeated: true },
  'pickup-latency': { run: pickupLatency, repeated: false },
  throttled: { run: throttled, repeated: true },
  paced: { run: paced, repeated: true },
};

/**
 * Runs of one build on this shared machine differ by up to 20%
 * (docs/performance.md): a case reports the median of three.
 */
const DEFAULT_REPEAT = 3;

const { values } = parseArgs({
  options: {
    case: { type: 'string', multiple: true },
    repeat: { type: 'string' },
    quick: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    out: { type: 'string' },
  },
});

const names = (values.case ?? Object.keys(CASES)).flatMap((name) =>
  name.split(','),
);
const unknown = names.filter((name) => !(name in CASES));
if (unknown.length > 0) {
  process.stderr.write(
    `unknown case ${unknown.join(', ')}; the cases are ${Object.keys(CASES).join(', ')}\n`,
  );
  process.exit(2);
}

// Quick and profiled runs are for development: one run each, unless told.
const repeat = Number(
  values.repeat ?? (values.quick || values.profile ? 1 : DEFAULT_REPEAT),
);
if (!Number.isInteger(repeat) || repeat < 1) {
  process.stderr.write(
    `--repeat must be a whole number of runs, 1 or more (got ${values.repeat})\n`,
  );
  process.exit(2);
}
if (values.profile && repeat > 1) {
  process.stderr.write(
    '--profile keeps one profile per case: run it without --repeat\n',
  );
  process.exit(2);
}

// Quick runs are for development: they write nothing unless told where.
const outDir =
  values.out ?? (values.quick ? undefined : join(ROOT, 'bench/results'));
const log = (message: string) =>
  process.stdout.write(
    `[${new Date().toISOString().slice(11, 19)}] ${message}\n`,
  );
const rows: Row[] = [];
let failures = 0;
const runStarted = Date.now();

for (const name of names) {
  const profileDir = values.profile
    ? mkdtempSync(join(tmpdir(), `bench-profile-${name}-`))
    : undefined;
  const context: BenchContext = {
    quick: values.quick,
    clockTick: clockTicksPerSecond(),
    profileDir,
    log,
  };
  const startedAt = new Date();
  const machine = describeMachine();
  try {
    const runs = CASES[name].repeated ? repeat : 1;
    const results: CaseResult[] = [];
    for (let run = 1; run <= runs; run++) {
      if (runs > 1) log(`${name}: run ${run} of ${runs}`);
      results.push(await CASES[name].run(context));
    }
    const result = medianRun(results);
    const profile = profileDir ? summariseProfiles(profileDir) : undefined;
    const label = targetLabel(result.targets);
    rows.push(...result.rows.map((row) => ({ ...row, target: label })));
    if (outDir) {
      const { rows: _rows, ...rest } = result;
      const file = writeResult(outDir, {
        ...rest,
        date: startedAt.toISOString().slice(0, 10),
        startedAt: startedAt.toISOString(),
        scale: values.quick ? 'quick' : 'full',
        profiled: values.profile,
        machine,
        ...(profile ? { profile } : {}),
      });
      log(`${name}: wrote ${file}`);
    }
  } catch (error) {
    failures++;
    log(
      `${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
    );
    rows.push({
      case: name,
      tasks: 0,
      tasksPerSecond: null,
      figures: 'FAILED',
      target: '-',
    });
  } finally {
    if (profileDir) rmSync(profileDir, { recursive: true, force: true });
  }
}

process.stdout.write(
  `\n${formatTable(rows)}\n\n${names.length} case(s) in ${Math.round((Date.now() - runStarted) / 1000)} s${values.profile ? ' (profiled: figures are slowed by the profiler)' : ''}\n`,
);
process.exit(failures > 0 ? 1 : 0);

function summariseProfiles(directory: string): Record<string, unknown> {
  const summaries: Record<string, unknown> = {};
  for (const file of readdirSync(directory).filter((entry) =>
    entry.endsWith('.cpuprofile'),
  )) {
    const profile = JSON.parse(
      readFileSync(join(directory, file), 'utf8'),
    ) as CpuProfile;
    const summary = summariseProfile(profile, 20);
    log(`${file}\n${formatSummary(summary)}`);
    summaries[file.replace(/\.cpuprofile$/, '')] = summary;
  }
  return summaries;
}
