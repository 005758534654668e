import {
  copyFileSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse, stringify } from 'yaml';
import { METRIC } from '@app/observability';
import {
  ALERTS_PATH,
  PROMETHEUS_CONFIG_PATH,
  type Query,
  alertQueries,
  alertRules,
  dashboardQueries,
  withDashboardVariables,
} from './support/monitoring.js';
import {
  PROMETHEUS_BINARY,
  PrometheusServer,
  eventually,
} from './support/prometheus.js';
import { metricNames } from './support/promql.js';
import {
  type RunningProcess,
  startService,
} from './support/service-process.js';

const validSettings = {
  API_BASE_URL: 'http://127.0.0.1:9',
  OAUTH2_TOKEN_URL: 'http://127.0.0.1:9/oauth2/token',
  OAUTH2_CLIENT_ID: 'processor',
  OAUTH2_CLIENT_SECRET: 'dummy-secret',
};

/** Series Prometheus writes itself for every target. */
const SYNTHETIC = new Set(['up']);
const HISTOGRAM_SERIES = /_(bucket|sum|count)$/;

/** `# TYPE name type` of a /metrics page. */
function exportedTypes(page: string): Map<string, string> {
  return new Map(
    [...page.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map(([, name, type]) => [
      name,
      type,
    ]),
  );
}

function isExported(name: string, types: Map<string, string>): boolean {
  if (SYNTHETIC.has(name) || types.has(name)) return true;
  const base = name.replace(HISTOGRAM_SERIES, '');
  return base !== name && types.get(base) === 'histogram';
}

const queried = (queries: Query[]) =>
  queries.flatMap(({ source, expr }) =>
    metricNames(expr).map((name) => ({ source, name })),
  );

describe('metric names of the dashboard and the alert rules', () => {
  it('finds the metric names of a PromQL expression', () => {
    expect(
      metricNames(
        'histogram_quantile(0.95, sum by (le, endpoint) (rate(api_request_duration_seconds_bucket{job="$job",status_code!~"2.."}[$__rate_interval]))) > 1e3 and on(job) up offset 5m',
      ),
    ).toEqual(['api_request_duration_seconds_bucket', 'up']);
  });

  it('are all exported on /metrics by the running service', async () => {
    const { service, baseUrl } = await startService(validSettings);
    let page: string;
    try {
      page = await (await fetch(`${baseUrl}/metrics`)).text();
    } finally {
      await service.stop();
    }
    const types = exportedTypes(page);
    // Metrics without samples yet are still declared, so the check does not
    // depend on what the service has done so far.
    expect(types.get(METRIC.taskDuration)).toBe('histogram');

    const names = queried([...dashboardQueries(), ...alertQueries()]);
    expect(names.length).toBeGreaterThan(20);
    const missing = names.filter(({ name }) => !isExported(name, types));
    expect(missing).toEqual([]);
  });

  it('cover every metric of the contract on the dashboard', () => {
    const onDashboard = new Set(
      queried(dashboardQueries()).map(({ name }) =>
        name.replace(HISTOGRAM_SERIES, ''),
      ),
    );
    const absent = Object.values(METRIC).filter(
      (name) => !onDashboard.has(name),
    );
    expect(absent).toEqual([]);
  });
});

if (!PROMETHEUS_BINARY)
  console.warn(
    'prometheus is not on PATH: the real-Prometheus tests are skipped (.ci/run installs the Debian package)',
  );

describe.skipIf(!PROMETHEUS_BINARY)(
  'a real Prometheus scraping the service (Debian package `prometheus`)',
  () => {
    let service: RunningProcess | undefined;
    let prometheus: PrometheusServer | undefined;
    let configDir: string;
    const job = 'ai-task-processor';

    beforeAll(async () => {
      const started = await startService(validSettings);
      service = started.service;
      // The repository's config and rules, scraping this service every second.
      const config = parse(readFileSync(PROMETHEUS_CONFIG_PATH, 'utf8')) as {
        global: Record<string, string>;
        rule_files: string[];
        scrape_configs: {
          job_name: string;
          static_configs: { targets: string[] }[];
        }[];
      };
      config.global.scrape_interval = '1s';
      config.global.evaluation_interval = '1s';
      const scrape = config.scrape_configs.find(
        (candidate) => candidate.job_name === job,
      );
      expect(scrape, `a scrape config for job ${job}`).toBeDefined();
      scrape!.static_configs = [{ targets: [`127.0.0.1:${started.port}`] }];
      configDir = mkdtempSync(join(tmpdir(), 'prometheus-config-'));
      writeFileSync(join(configDir, 'prometheus.yml'), stringify(config));
      expect(config.rule_files).toEqual(['alerts.yml']);
      copyFileSync(ALERTS_PATH, join(configDir, 'alerts.yml'));
      prometheus = await PrometheusServer.start(
        join(configDir, 'prometheus.yml'),
      );
    });

    afterAll(async () => {
      await prometheus?.stop();
      await service?.stop();
      rmSync(configDir, { recursive: true, force: true });
    });

    it('reads the service metrics back through the HTTP API', async () => {
      const up = await eventually(
        async () => {
          const [sample] = await prometheus!.query(`up{job="${job}"}`);
          return sample?.value[1] === '1' ? sample : undefined;
        },
        { what: 'a successful scrape' },
      );
      expect(up.metric.job).toBe(job);
      const [cpu] = await prometheus!.query(
        `process_cpu_user_seconds_total{job="${job}"}`,
      );
      expect(Number(cpu.value[1])).toBeGreaterThan(0);
      const [inFlight] = await prometheus!.query(METRIC.tasksInFlight);
      expect(inFlight.value[1]).toBe('0');
    });

    it('accepts every dashboard query', async () => {
      for (const { source, expr } of dashboardQueries()) {
        await expect(
          prometheus!.query(withDashboardVariables(expr, { job })),
          source,
        ).resolves.toBeInstanceOf(Array);
      }
    });

    it('loads the alert rules and evaluates each without error', async () => {
      interface Rule {
        name: string;
        health: string;
        lastError?: string;
        lastEvaluation: string;
      }
      const rules = await eventually(
        async () => {
          const { groups } = await prometheus!.api<{
            groups: { rules: Rule[] }[];
          }>('rules');
          const loaded = groups.flatMap((group) => group.rules);
          const evaluated = loaded.every(
            (rule) => !rule.lastEvaluation.startsWith('0001-'),
          );
          return loaded.length > 0 && evaluated ? loaded : undefined;
        },
        { what: 'every rule evaluated' },
      );
      expect(rules.map((rule) => rule.name).sort()).toEqual(
        alertRules()
          .map((rule) => rule.alert)
          .sort(),
      );
      for (const rule of rules) {
        expect({ name: rule.name, health: rule.health }).toEqual({
          name: rule.name,
          health: 'ok',
        });
      }
    });

    it('raises AiTaskProcessorDown once the service stops answering', async () => {
      const stopped = await service!.stop();
      expect(stopped.code).toBe(0);
      const alert = await eventually(
        async () => {
          const { alerts } = await prometheus!.api<{
            alerts: { labels: Record<string, string>; state: string }[];
          }>('alerts');
          return alerts.find(
            (candidate) => candidate.labels.alertname === 'AiTaskProcessorDown',
          );
        },
        { what: 'the AiTaskProcessorDown alert' },
      );
      // `for: 2m` keeps it pending this early.
      expect(alert).toMatchObject({
        state: 'pending',
        labels: { job, severity: 'critical' },
      });
    });
  },
);
