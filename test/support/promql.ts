/** Words of PromQL that look like metric names but are not. */
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'atan2',
  'inf',
  'nan',
  'start',
  'end',
]);

/**
 * The metric names a PromQL expression selects, found by removing what is
 * not a selector name (strings, label matchers, ranges, grouping clauses,
 * function calls) and keeping the identifiers that remain. Enough for the
 * expressions of this project's dashboard and alert rules, which a real
 * Prometheus also parses in test/prometheus.e2e-spec.ts.
 */
export function metricNames(expression: string): string[] {
  const bare = expression
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(
      /\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g,
      ' ',
    );
  const names = [
    ...bare.matchAll(/(?<![\w.:$])[a-zA-Z_:][\w:]*(?![\w:])(?!\s*\()/g),
  ]
    .map(([name]) => name)
    .filter((name) => !KEYWORDS.has(name.toLowerCase()));
  return [...new Set(names)];
}
