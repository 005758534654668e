/** One sample line of the Prometheus text format. */
export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

export interface Exposition {
  /** `# TYPE` of each metric family. */
  types: Map<string, string>;
  samples: Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"\s*,?\s*/gy;

function parseLabels(text: string, line: string): Record<string, string> {
  const labels: Record<string, string> = {};
  LABEL.lastIndex = 0;
  let match: RegExpExecArray | null;
  while (LABEL.lastIndex < text.length && (match = LABEL.exec(text))) {
    labels[match[1]] = match[2].replace(/\\(.)/g, (_, escaped: string) =>
      escaped === 'n' ? '\n' : escaped,
    );
  }
  if (LABEL.lastIndex !== text.length && text.length > 0)
    throw new Error(`unreadable labels in: ${line}`);
  return labels;
}

/** Reads a `/metrics` page; throws on a line that is not the text format. */
export function parseExposition(page: string): Exposition {
  const types = new Map<string, string>();
  const samples: Sample[] = [];
  for (const line of page.split('\n')) {
    if (line.trim() === '') continue;
    if (line.startsWith('#')) {
      const type = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (type) types.set(type[1], type[2]);
      continue;
    }
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    samples.push({
      name: match[1],
      labels: parseLabels(match[2] ?? '', line),
      value: Number(match[3]),
    });
  }
  return { types, samples };
}

/** The samples of one series name whose labels include `labels`. */
export function samplesOf(
  exposition: Exposition,
  name: string,
  labels: Record<string, string> = {},
): Sample[] {
  return exposition.samples.filter(
    (sample) =>
      sample.name === name &&
      Object.entries(labels).every(
        ([key, value]) => sample.labels[key] === value,
      ),
  );
}

/** The sum of the matching samples' values. */
export function total(
  exposition: Exposition,
  name: string,
  labels: Record<string, string> = {},
): number {
  return samplesOf(exposition, name, labels).reduce(
    (sum, sample) => sum + sample.value,
    0,
  );
}

/** The values one label takes across the samples of a series name. */
export const valuesOf = (
  exposition: Exposition,
  name: string,
  label: string,
): Set<string> =>
  new Set(samplesOf(exposition, name).map((sample) => sample.labels[label]));
