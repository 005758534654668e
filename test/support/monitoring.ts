import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';

const ROOT = resolve(import.meta.dirname, '../..');
export const DASHBOARD_PATH = join(
  ROOT,
  'deploy/grafana/dashboards/ai-task-processor.json',
);
export const PROMETHEUS_CONFIG_PATH = join(
  ROOT,
  'deploy/prometheus/prometheus.yml',
);
export const ALERTS_PATH = join(ROOT, 'deploy/prometheus/alerts.yml');

/** A PromQL expression and where it comes from, for failure messages. */
export interface Query {
  source: string;
  expr: string;
}

interface Panel {
  title?: string;
  targets?: { expr?: string }[];
  panels?: Panel[];
}

interface Dashboard {
  panels: Panel[];
  templating: { list: { name: string; query?: { query?: string } | string }[] };
}

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
}

export function readDashboard(): Dashboard {
  return JSON.parse(readFileSync(DASHBOARD_PATH, 'utf8')) as Dashboard;
}

/**
 * Every PromQL expression of the dashboard, panels' targets and the metric
 * of each `label_values(metric, label)` template variable.
 */
export function dashboardQueries(): Query[] {
  const dashboard = readDashboard();
  const panels = dashboard.panels.flatMap((panel) => [
    panel,
    ...(panel.panels ?? []),
  ]);
  const targets = panels.flatMap((panel) =>
    (panel.targets ?? []).flatMap((target) =>
      target.expr
        ? [{ source: `panel "${panel.title}"`, expr: target.expr }]
        : [],
    ),
  );
  const variables = dashboard.templating.list.flatMap((variable) => {
    const query =
      typeof variable.query === 'string'
        ? variable.query
        : variable.query?.query;
    const metric = /^label_values\((.+),\s*\w+\)$/.exec(query ?? '')?.[1];
    return metric
      ? [{ source: `variable $${variable.name}`, expr: metric }]
      : [];
  });
  return [...targets, ...variables];
}

export function alertRules(): AlertRule[] {
  const file = parse(readFileSync(ALERTS_PATH, 'utf8')) as {
    groups: { rules: AlertRule[] }[];
  };
  return file.groups.flatMap((group) => group.rules);
}

export function alertQueries(): Query[] {
  return alertRules().map((rule) => ({
    source: `alert ${rule.alert}`,
    expr: rule.expr,
  }));
}

/** A dashboard expression as Grafana sends it, with its variables filled in. */
export function withDashboardVariables(
  expr: string,
  values: { job: string; instance?: string; rateInterval?: string },
): string {
  return expr
    .replaceAll('$__rate_interval', values.rateInterval ?? '1m')
    .replaceAll('$job', values.job)
    .replaceAll('$instance', values.instance ?? '.*');
}
