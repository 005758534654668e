/**
 * Summarises a V8 .cpuprofile (`node --cpu-prof`) by self time: per
 * function and per package (a node_modules package, a libs/ or apps/
 * module of this project through the bundle's source map, or Node itself).
 *
 *   node bench/profile-summary.ts <file.cpuprofile> [--top N]
 */
import { existsSync, readFileSync } from 'node:fs';
import { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';

interface CallFrame {
  functionName: string;
  url: string;
  lineNumber: number;
  columnNumber: number;
}

interface ProfileNode {
  id: number;
  callFrame: CallFrame;
}

export interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

export interface SelfTime {
  name: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  totalMs: number;
  /** Sampled time not spent idle: the process's own work, GC included. */
  busyMs: number;
  byPackage: SelfTime[];
  byFunction: SelfTime[];
}

const SPECIAL = new Set([
  '(idle)',
  '(program)',
  '(garbage collector)',
  '(root)',
]);

/** Where a frame's code comes from, after the source map when there is one. */
interface Origin {
  source: string;
  line: number;
}

class OriginResolver {
  private readonly maps = new Map<string, SourceMap | null>();

  resolve({ url, lineNumber, columnNumber }: CallFrame): Origin {
    const map = this.mapFor(url);
    const entry = map?.findEntry(lineNumber, columnNumber);
    if (entry && 'originalSource' in entry && entry.originalSource)
      return { source: entry.originalSource, line: entry.originalLine + 1 };
    return { source: url, line: lineNumber + 1 };
  }

  private mapFor(url: string): SourceMap | null {
    if (!url.startsWith('file://') || url.includes('/node_modules/'))
      return null;
    let map = this.maps.get(url);
    if (map === undefined) {
      const file = `${fileURLToPath(url)}.map`;
      map = existsSync(file)
        ? new SourceMap(JSON.parse(readFileSync(file, 'utf8')))
        : null;
      this.maps.set(url, map);
    }
    return map;
  }
}

/** `openai`, `@nestjs/core`, `libs/tasks`, `node:internal/...` grouping names. */
export function packageOf(source: string, functionName: string): string {
  if (SPECIAL.has(functionName)) return functionName;
  if (source === '') return '(native/V8 builtins)';
  const modules = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(source);
  if (modules) return modules[1];
  const project = /(?:^|\/|webpack:\/\/[^/]*\/)((?:libs|apps)\/[^/]+)\//.exec(
    source,
  );
  if (project) return project[1];
  if (source.startsWith('node:')) {
    const internal = /^node:(?:internal\/)?([^/]+)/.exec(source);
    return `node:${internal?.[1] ?? source.slice(5)}`;
  }
  return source;
}

function shorten(source: string): string {
  const modules = source.lastIndexOf('node_modules/');
  if (modules >= 0) return source.slice(modules + 'node_modules/'.length);
  const project = /((?:libs|apps)\/.*)$/.exec(source);
  return project ? project[1] : source;
}

function ranked(
  totals: Map<string, number>,
  busyMs: number,
  top: number,
): SelfTime[] {
  return [...totals]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, ms]) => ({
      name,
      ms: Math.round(ms),
      share: Math.round((ms / busyMs) * 1000) / 1000,
    }));
}

export function summariseProfile(
  profile: CpuProfile,
  top = 25,
): ProfileSummary {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, index) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[index] ?? 0));
  });
  const resolver = new OriginResolver();
  const packages = new Map<string, number>();
  const functions = new Map<string, number>();
  let busyMs = 0;
  for (const [id, us] of selfUs) {
    const frame = byId.get(id)!.callFrame;
    const ms = us / 1000;
    const origin = resolver.resolve(frame);
    const pkg = packageOf(origin.source, frame.functionName);
    if (pkg !== '(idle)') busyMs += ms;
    packages.set(pkg, (packages.get(pkg) ?? 0) + ms);
    const name = SPECIAL.has(frame.functionName)
      ? frame.functionName
      : `${frame.functionName || '(anonymous)'} ${shorten(origin.source) || '(native)'}:${origin.line}`;
    functions.set(name, (functions.get(name) ?? 0) + ms);
  }
  packages.delete('(idle)');
  functions.delete('(idle)');
  return {
    totalMs: Math.round((profile.endTime - profile.startTime) / 1000),
    busyMs: Math.round(busyMs),
    byPackage: ranked(packages, busyMs, top),
    byFunction: ranked(functions, busyMs, top),
  };
}

export function formatSummary(summary: ProfileSummary): string {
  const rows = (entries: SelfTime[]) =>
    entries
      .map(
        ({ name, ms, share }) =>
          `  ${(share * 100).toFixed(1).padStart(5)}%  ${String(ms).padStart(7)} ms  ${name}`,
      )
      .join('\n');
  return [
    `profile: ${summary.totalMs} ms wall, ${summary.busyMs} ms busy (not idle)`,
    'self time by package:',
    rows(summary.byPackage),
    'self time by function:',
    rows(summary.byFunction),
  ].join('\n');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [file, ...rest] = process.argv.slice(2);
  if (!file) {
    process.stderr.write(
      'usage: node bench/profile-summary.ts <file.cpuprofile> [--top N]\n',
    );
    process.exit(2);
  }
  const topAt = rest.indexOf('--top');
  const top = topAt >= 0 ? Number(rest[topAt + 1]) : 25;
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  process.stdout.write(`${formatSummary(summariseProfile(profile, top))}\n`);
}
