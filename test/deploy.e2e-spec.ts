import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join, posix, resolve } from 'node:path';
import { getMetadataStorage } from 'class-validator';
import { parse, parseAllDocuments } from 'yaml';
import { ConfigValidationError, ServiceConfig } from '@app/config';
import { EnvironmentVariables, SECRET_VARIABLES } from '@app/config/testing';
import { METRIC } from '@app/observability';
import { SANDBOX_SETTINGS } from '../apps/sandbox/src/sandbox-env.js';
import {
  execForm,
  healthcheckCommand,
  PROJECT_DOCKERFILE,
  parseDockerfile,
} from './support/dockerfile.js';
import {
  DASHBOARD_PATH,
  PROMETHEUS_CONFIG_PATH,
  readDashboard,
} from './support/monitoring.js';

// The Compose and Kubernetes files are not run here (no Docker engine, no
// cluster): they are parsed and their wiring is checked against the service,
// the Dockerfile and each other.

const ROOT = resolve(import.meta.dirname, '..');
const K8S = join(ROOT, 'deploy/k8s');
const METRICS_PORT = 8001;

/** Every variable the configuration module reads (docs/contract.md §4). */
const KNOWN_VARIABLES = new Set(
  getMetadataStorage()
    .getTargetValidationMetadatas(EnvironmentVariables, '', true, false)
    .map((metadata) => metadata.propertyName),
);
const SHUTDOWN_DEFAULT_SECONDS = 30;

const readYaml = (path: string): unknown =>
  parse(readFileSync(join(ROOT, path), 'utf8'));

/** Variables as Compose reads them for `${...}`: the shell and .env (or `--env-file`). */
type Variables = Record<string, string>;

/**
 * Compose's interpolation: `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * and `${VAR:?message}` / `${VAR?message}`, which stop Compose when VAR is
 * missing (Compose interpolates the whole file, whatever the profiles).
 */
const interpolate = (value: unknown, variables: Variables = {}): string =>
  String(value).replace(
    /\$\{(\w+)(?:(:?)([-?])([^}]*))?\}/g,
    (
      _whole,
      name: string,
      colon: string | undefined,
      operator: string | undefined,
      argument: string | undefined,
    ) => {
      const set = variables[name];
      const missing = set === undefined || (colon === ':' && set === '');
      if (operator === '?' && missing)
        throw new Error(
          `required variable ${name} is missing a value: ${argument}`,
        );
      if (operator === '-' && missing) return argument ?? '';
      return set ?? '';
    },
  );

/** The variables whose `${VAR:?...}` stop Compose with these variables set. */
function missingVariables(document: unknown, variables: Variables): string[] {
  const missing = new Set<string>();
  const visit = (node: unknown) => {
    if (typeof node === 'string') {
      try {
        interpolate(node, variables);
      } catch (error) {
        missing.add(/required variable (\w+)/.exec(String(error))![1]);
      }
    } else if (node && typeof node === 'object')
      Object.values(node).forEach(visit);
  };
  visit(document);
  return [...missing].sort();
}

/** `KEY=value` lines of an env file, comments and blank lines skipped. */
const readEnvFile = (path: string): Variables =>
  Object.fromEntries(
    readFileSync(join(ROOT, path), 'utf8')
      .split('\n')
      .map((line) => line.trim())
      .filter((line) => line !== '' && !line.startsWith('#'))
      .map((line) => {
        const at = line.indexOf('=');
        return [line.slice(0, at), line.slice(at + 1)];
      }),
  );

/** "45s", "1m30s" in seconds. */
const durationSeconds = (value: string): number =>
  [...value.matchAll(/(\d+)(h|m|s)/g)].reduce(
    (total, [, amount, unit]) =>
      total +
      Number(amount) * { h: 3600, m: 60, s: 1 }[unit as 'h' | 'm' | 's'],
    0,
  );

interface ComposeService {
  build?: { context: string; target?: string };
  image?: string;
  profiles?: string[];
  environment?: Record<string, string>;
  env_file?: { path: string; required?: boolean }[];
  ports?: string[];
  healthcheck?: { test: string[] };
  restart?: string;
  stop_grace_period?: string;
  deploy?: { resources?: { limits?: { cpus?: string; memory?: string } } };
  volumes?: (string | { type: string; target: string })[];
  command?: string[];
  depends_on?: Record<string, { required?: boolean }>;
  read_only?: boolean;
  cap_drop?: string[];
  security_opt?: string[];
  logging?: { driver: string; options?: Record<string, string> };
}

/** The dev profile's variables: `docker compose --env-file deploy/compose/dev.env up`. */
const DEV_ENV_FILE = 'deploy/compose/dev.env';

/** What a production .env might hold: the least Compose asks for. */
const PRODUCTION_VARIABLES: Variables = {
  API_BASE_URL: 'https://tasks-api.example.com',
  ORY_PROJECT_SLUG: 'example-project',
  OAUTH2_CLIENT_SECRET: 'from-the-secret-store',
  GRAFANA_ADMIN_PASSWORD: 'from-the-secret-store-too',
};

/** Variables Compose itself reads, or that only the file's `${...}` use. */
const COMPOSE_VARIABLES = new Set([
  'COMPOSE_PROFILES',
  'BIND_ADDRESS',
  'GRAFANA_ADMIN_PASSWORD',
  'SANDBOX_SEED',
]);

describe('docker-compose.yml', () => {
  const composeText = readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8');
  const compose = parse(composeText) as {
    services: Record<string, ComposeService>;
  };
  const { services } = compose;
  const processor = services['ai-task-processor'];
  const stageNames = parseDockerfile(PROJECT_DOCKERFILE).map(
    (stage) => stage.name,
  );
  const environmentOf = (service: ComposeService, variables: Variables) =>
    Object.fromEntries(
      Object.entries(service.environment ?? {}).map(([name, value]) => [
        name,
        interpolate(value, variables),
      ]),
    );
  /** `address:host:container` of each published port, interpolated. */
  const published = (service: ComposeService, variables: Variables = {}) =>
    (service.ports ?? []).map((port) => {
      const parts = interpolate(port, variables).split(':');
      expect(parts, port).toHaveLength(3);
      const [address, host, container] = parts;
      return { address, host, container };
    });

  it('runs the service from the Dockerfile runtime target on port 8001', () => {
    expect(processor.build).toEqual({ context: '.', target: 'runtime' });
    expect(stageNames.at(-1)).toBe('runtime');
    expect(processor.profiles).toBeUndefined();
    expect(interpolate(processor.environment?.METRICS_PORT)).toBe(
      String(METRICS_PORT),
    );
    expect(published(processor)).toEqual([
      {
        address: '127.0.0.1',
        host: String(METRICS_PORT),
        container: String(METRICS_PORT),
      },
    ]);
  });

  it('publishes every port on 127.0.0.1 unless BIND_ADDRESS says otherwise', () => {
    const withPorts = Object.entries(services).filter(
      ([, service]) => (service.ports ?? []).length > 0,
    );
    expect(withPorts.map(([name]) => name).sort()).toEqual([
      'ai-task-processor',
      'grafana',
      'prometheus',
      'sandbox',
    ]);
    for (const [name, service] of withPorts) {
      for (const port of published(service))
        expect(port.address, name).toBe('127.0.0.1');
      for (const port of published(service, { BIND_ADDRESS: '0.0.0.0' }))
        expect(port.address, name).toBe('0.0.0.0');
    }
  });

  it('sets only variables the configuration module knows', () => {
    const unknown = Object.keys(processor.environment ?? {}).filter(
      (name) => !KNOWN_VARIABLES.has(name),
    );
    expect(KNOWN_VARIABLES.size).toBeGreaterThan(25);
    expect(unknown).toEqual([]);
    expect(processor.env_file).toEqual([{ path: '.env', required: false }]);
  });

  it('holds no secret: the client secret and the Grafana password come from the environment, or Compose stops', () => {
    const secretLike = /(SECRET|PASSWORD|API_KEY)$/;
    for (const [name, service] of Object.entries(services))
      for (const [variable, value] of Object.entries(service.environment ?? {}))
        if (secretLike.test(variable))
          expect(String(value), `${name}: ${variable}`).toMatch(
            /^\$\{\w+:\?[^}]+\}$/,
          );
    expect(composeText).not.toContain('sandbox-secret');
    expect(
      interpolate(processor.environment?.OAUTH2_CLIENT_SECRET, {
        OAUTH2_CLIENT_SECRET: 'from-the-environment',
      }),
    ).toBe('from-the-environment');
    expect(
      interpolate(services.grafana.environment?.GF_SECURITY_ADMIN_PASSWORD, {
        GRAFANA_ADMIN_PASSWORD: 'from-the-environment',
      }),
    ).toBe('from-the-environment');

    // Without them (nor the tasks API) nothing starts, whatever the profile.
    expect(missingVariables(compose, {})).toEqual([
      'API_BASE_URL',
      'GRAFANA_ADMIN_PASSWORD',
      'OAUTH2_CLIENT_SECRET',
    ]);
    expect(missingVariables(compose, PRODUCTION_VARIABLES)).toEqual([]);
  });

  it('runs against your API with OpenAI embeddings unless told otherwise, never against the sandbox', () => {
    const env = environmentOf(processor, PRODUCTION_VARIABLES);
    expect(env.API_BASE_URL).toBe(PRODUCTION_VARIABLES.API_BASE_URL);
    expect(env.OAUTH2_CLIENT_SECRET).toBe(
      PRODUCTION_VARIABLES.OAUTH2_CLIENT_SECRET,
    );
    // Empty: ORY_PROJECT_SLUG (from .env) names the token endpoint.
    expect(env.OAUTH2_TOKEN_URL).toBe('');
    expect(env.EMBEDDING_PROVIDER).toBe('openai');
    expect(Object.values(env).join(' ')).not.toContain('sandbox');
  });

  it('hardens the service like the Kubernetes pod: read-only root, no capabilities, no privilege escalation', () => {
    expect(processor.read_only).toBe(true);
    expect(processor.volumes).toContainEqual(
      expect.objectContaining({ type: 'tmpfs', target: '/tmp' }),
    );
    expect(processor.cap_drop).toEqual(['ALL']);
    expect(processor.security_opt).toContain('no-new-privileges:true');
  });

  it('rotates the logs of every service', () => {
    for (const [name, service] of Object.entries(services)) {
      expect(service.logging?.driver, name).toBe('json-file');
      expect(service.logging?.options?.['max-size'], name).toMatch(/^\d+m$/);
      expect(
        Number(service.logging?.options?.['max-file']),
        name,
      ).toBeGreaterThan(0);
    }
  });

  it('checks health like the image does, restarts, limits resources and waits out the shutdown grace period', () => {
    const imageCheck = healthcheckCommand(
      parseDockerfile(PROJECT_DOCKERFILE)
        .at(-1)!
        .instructions.find(({ keyword }) => keyword === 'HEALTHCHECK')!,
    );
    // The same command, with the port the service is given here.
    expect(processor.healthcheck?.test).toEqual([
      'CMD',
      ...imageCheck.map((arg) =>
        arg.replace(
          '`http://127.0.0.1:${process.env.METRICS_PORT||8001}/health`',
          `'http://127.0.0.1:${METRICS_PORT}/health'`,
        ),
      ),
    ]);
    expect(processor.restart).toMatch(/^(always|unless-stopped|on-failure)/);
    expect(processor.deploy?.resources?.limits?.cpus).toBeTruthy();
    expect(processor.deploy?.resources?.limits?.memory).toBeTruthy();
    const shutdown = Number(
      interpolate(
        processor.environment?.SHUTDOWN_TIMEOUT_SECONDS ??
          SHUTDOWN_DEFAULT_SECONDS,
      ),
    );
    expect(
      durationSeconds(processor.stop_grace_period ?? '10s'),
    ).toBeGreaterThan(shutdown);
  });

  it('puts the sandbox under the dev profile, whose env file points the service at it with its client', () => {
    const sandbox = services.sandbox;
    expect(sandbox.profiles).toEqual(['dev']);
    expect(sandbox.build?.target).toBe('sandbox');
    expect(stageNames).toContain('sandbox');
    expect(processor.depends_on?.sandbox?.required).toBe(false);

    const dev = readEnvFile(DEV_ENV_FILE);
    expect(dev.COMPOSE_PROFILES).toBe('dev');
    expect(
      Object.keys(dev).filter(
        (name) => !KNOWN_VARIABLES.has(name) && !COMPOSE_VARIABLES.has(name),
      ),
    ).toEqual([]);
    expect(missingVariables(compose, dev)).toEqual([]);

    const env = environmentOf(sandbox, dev);
    const sandboxVariables = new Set(SANDBOX_SETTINGS.map(({ env }) => env));
    expect(
      Object.keys(env).filter((name) => !sandboxVariables.has(name)),
    ).toEqual([]);
    expect(env.SANDBOX_HOST).toBe('0.0.0.0');
    expect(
      published(sandbox).map(({ host, container }) => [host, container]),
    ).toEqual([[env.SANDBOX_PORT, env.SANDBOX_PORT]]);

    const processorEnv = environmentOf(processor, dev);
    const apiUrl = new URL(processorEnv.API_BASE_URL);
    expect(apiUrl.hostname).toBe('sandbox');
    expect(apiUrl.port).toBe(env.SANDBOX_PORT);
    expect(processorEnv.OAUTH2_TOKEN_URL).toBe(`${apiUrl.origin}/oauth2/token`);
    // The client the sandbox registers is the one the service signs in with.
    expect(processorEnv.OAUTH2_CLIENT_ID).toBe(env.SANDBOX_CLIENT_ID);
    expect(processorEnv.OAUTH2_CLIENT_SECRET).toBe(env.SANDBOX_CLIENT_SECRET);
    // The image runs with NODE_ENV=production, which refuses to fall into
    // mock embeddings unasked: the dev profile asks.
    expect(processorEnv.EMBEDDING_PROVIDER).toBe('mock');
  });

  it('mounts the Prometheus config, whose scrape target is the service', () => {
    const prometheus = services.prometheus;
    expect(prometheus.volumes).toContain(
      './deploy/prometheus:/etc/prometheus:ro',
    );
    expect(prometheus.command).toContain(
      '--config.file=/etc/prometheus/prometheus.yml',
    );
    const config = readYaml('deploy/prometheus/prometheus.yml') as {
      rule_files: string[];
      scrape_configs: {
        job_name: string;
        static_configs: { targets: string[] }[];
      }[];
    };
    for (const rules of config.rule_files)
      expect(existsSync(join(ROOT, 'deploy/prometheus', rules)), rules).toBe(
        true,
      );
    const targets = config.scrape_configs.flatMap((scrape) =>
      scrape.static_configs.flatMap((group) => group.targets),
    );
    expect(targets).toEqual([`ai-task-processor:${METRICS_PORT}`]);
    expect(existsSync(PROMETHEUS_CONFIG_PATH)).toBe(true);
  });

  it('provisions Grafana on port 3001 with the Prometheus data source and the dashboard', () => {
    const grafana = services.grafana;
    expect(
      published(grafana).map(({ host, container }) => `${host}:${container}`),
    ).toEqual(['3001:3000']);
    expect(grafana.environment).toMatchObject({
      GF_SECURITY_ADMIN_USER: 'admin',
    });
    const mounts = new Map(
      (grafana.volumes ?? [])
        .filter((volume) => typeof volume === 'string')
        .map((volume) => volume.split(':'))
        .filter(([source]) => source.startsWith('./'))
        .map(([source, target]) => [target, source]),
    );
    for (const source of mounts.values())
      expect(existsSync(join(ROOT, source)), source).toBe(true);
    const provisioning = mounts.get('/etc/grafana/provisioning');
    expect(provisioning).toBeDefined();
    const hostPath = (containerPath: string) => {
      for (const [target, source] of mounts)
        if (containerPath.startsWith(`${target}/`))
          return join(ROOT, source, posix.relative(target, containerPath));
      return undefined;
    };

    const datasources = readYaml(
      join(provisioning!, 'datasources/prometheus.yml'),
    ) as { datasources: { type: string; url: string; isDefault?: boolean }[] };
    expect(datasources.datasources).toHaveLength(1);
    const [datasource] = datasources.datasources;
    expect(datasource.type).toBe('prometheus');
    expect(datasource.isDefault).toBe(true);
    expect(new URL(datasource.url).hostname).toBe('prometheus');
    expect(
      published(services.prometheus).map(({ container }) => container),
    ).toContain(new URL(datasource.url).port);

    const providers = readYaml(
      join(provisioning!, 'dashboards/ai-task-processor.yml'),
    ) as { providers: { type: string; options: { path: string } }[] };
    const dashboardsDir = hostPath(`${providers.providers[0].options.path}/`);
    expect(dashboardsDir).toBeDefined();
    expect(readdirSync(dashboardsDir!)).toContain('ai-task-processor.json');
    expect(
      hostPath(
        interpolate(
          grafana.environment?.GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH,
        ),
      ),
    ).toBe(DASHBOARD_PATH);

    // The dashboard picks the data source through a variable (the default one
    // when provisioned, any Prometheus when imported elsewhere).
    const dashboard = readDashboard() as unknown as {
      templating: { list: { name: string; type: string; query: unknown }[] };
    };
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({
        name: 'datasource',
        type: 'datasource',
        query: 'prometheus',
      }),
    );
  });
});

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

interface Probe {
  httpGet: { path: string; port: string | number };
}

interface Container {
  name: string;
  image: string;
  ports: { name?: string; containerPort: number }[];
  envFrom: { configMapRef?: { name: string }; secretRef?: { name: string } }[];
  env?: { name: string }[];
  livenessProbe: Probe;
  readinessProbe: Probe;
  startupProbe?: Probe;
  resources: {
    requests: Record<string, string>;
    limits: Record<string, string>;
  };
  securityContext: Record<string, unknown>;
}

interface PodSpec {
  terminationGracePeriodSeconds: number;
  volumes: { name: string }[];
  enableServiceLinks?: boolean;
  securityContext?: Record<string, unknown>;
  containers: Container[];
}

interface Kustomization {
  resources: string[];
  patches?: { path: string }[];
  secretGenerator?: unknown[];
}

interface NetworkPolicyPeer {
  namespaceSelector?: { matchLabels?: Record<string, string> };
  podSelector?: { matchLabels?: Record<string, string> };
  ipBlock?: { cidr: string; except?: string[] };
}

interface NetworkPolicyRule {
  from?: NetworkPolicyPeer[];
  to?: NetworkPolicyPeer[];
  ports?: { port: string | number; protocol?: string }[];
}

/** Secrets are made outside the kustomization; this file shows their shape. */
const SECRET_EXAMPLE = 'base/secret.example.yaml';

/** What `kubectl apply -k dir` would apply: resources (directories followed), and the patches apart. */
function kustomize(dir: string): {
  objects: K8sObject[];
  patches: K8sObject[];
} {
  const kustomization = parse(
    readFileSync(join(dir, 'kustomization.yaml'), 'utf8'),
  ) as Kustomization;
  const documents = (file: string) =>
    parseAllDocuments(readFileSync(join(dir, file), 'utf8')).map((document) => {
      expect(document.errors, file).toEqual([]);
      return document.toJS() as K8sObject;
    });
  const fromResources = kustomization.resources.map((resource) =>
    existsSync(join(dir, resource, 'kustomization.yaml'))
      ? kustomize(join(dir, resource))
      : { objects: documents(resource), patches: [] },
  );
  return {
    objects: fromResources.flatMap(({ objects }) => objects),
    patches: [
      ...fromResources.flatMap(({ patches }) => patches),
      ...(kustomization.patches ?? []).flatMap(({ path }) => documents(path)),
    ],
  };
}

const named = (value: unknown): value is { name: string }[] =>
  Array.isArray(value) &&
  value.every((item) => typeof (item as { name?: unknown })?.name === 'string');

/**
 * A strategic merge patch as far as the overlay uses one: maps merge, `null`
 * deletes a key, and lists of named items (volumes) merge by name.
 */
function merge<T>(target: T, patch: unknown): T {
  if (named(target) && named(patch)) {
    const byName = new Map(target.map((item) => [item.name, item]));
    for (const item of patch)
      byName.set(
        item.name,
        merge<{ name: string }>(byName.get(item.name) ?? item, item),
      );
    return [...byName.values()] as T;
  }
  if (typeof patch !== 'object' || patch === null || Array.isArray(patch))
    return patch as T;
  const merged = { ...(target as Record<string, unknown>) };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else merged[key] = merge(merged[key], value);
  }
  return merged as T;
}

describe('deploy/k8s', () => {
  const { objects } = kustomize(K8S);
  const one = <T = K8sObject>(kind: string): T & K8sObject => {
    const found = objects.filter((object) => object.kind === kind);
    expect(found, kind).toHaveLength(1);
    return found[0] as T & K8sObject;
  };
  const deployment = one<{
    spec: {
      replicas: number;
      strategy: { type: string; rollingUpdate?: unknown };
      selector: { matchLabels: Record<string, string> };
      template: {
        metadata: {
          labels: Record<string, string>;
          annotations?: Record<string, string>;
        };
        spec: PodSpec;
      };
    };
  }>('Deployment');
  const configMap = one<{ data: Record<string, string> }>('ConfigMap');
  const secrets = existsSync(join(K8S, SECRET_EXAMPLE))
    ? parseAllDocuments(readFileSync(join(K8S, SECRET_EXAMPLE), 'utf8')).map(
        (document) =>
          document.toJS() as K8sObject & {
            stringData?: Record<string, string>;
            data?: Record<string, string>;
          },
      )
    : [];
  const secret = secrets.at(0);
  const pod = deployment.spec.template.spec;
  const podLabels = deployment.spec.template.metadata.labels;
  const [container] = pod.containers;
  const secretNames = Object.keys({ ...secret?.data, ...secret?.stringData });

  const containerPort = (port: string | number): number | undefined =>
    typeof port === 'number'
      ? port
      : container.ports.find((candidate) => candidate.name === port)
          ?.containerPort;
  const selects = (selector: Record<string, string>) =>
    Object.entries(selector).every(([key, value]) => podLabels[key] === value);

  it('lists every manifest of each kustomization but the examples, and the root one applies the base', () => {
    for (const dir of ['.', 'base', 'autoscaling']) {
      const kustomization = parse(
        readFileSync(join(K8S, dir, 'kustomization.yaml'), 'utf8'),
      ) as Kustomization;
      const referenced = [
        ...kustomization.resources,
        ...(kustomization.patches ?? []).map(({ path }) => path),
      ];
      const files = readdirSync(join(K8S, dir)).filter(
        (file) => file.endsWith('.yaml') && file !== 'kustomization.yaml',
      );
      for (const file of files)
        if (file.endsWith('.example.yaml'))
          expect(referenced, dir).not.toContain(file);
        else expect(referenced, dir).toContain(file);
    }
    expect(kustomize(join(K8S, 'base')).objects).toEqual(objects);
  });

  it('applies no Secret: `kubectl apply -k` never overwrites the real one with placeholders', () => {
    for (const dir of [K8S, join(K8S, 'autoscaling')]) {
      const applied = kustomize(dir);
      expect(
        [...applied.objects, ...applied.patches].filter(
          (object) => object.kind === 'Secret',
        ),
      ).toEqual([]);
    }
    for (const dir of ['.', 'base', 'autoscaling']) {
      const kustomization = parse(
        readFileSync(join(K8S, dir, 'kustomization.yaml'), 'utf8'),
      ) as Kustomization;
      expect(kustomization.secretGenerator, dir).toBeUndefined();
    }
    // The example shows the Secret the Deployment expects.
    expect(secrets).toHaveLength(1);
    expect(secret).toMatchObject({ apiVersion: 'v1', kind: 'Secret' });
  });

  it('lets in only the monitoring namespace, on the metrics port', () => {
    const policy = one<{
      spec: {
        podSelector: { matchLabels: Record<string, string> };
        policyTypes: string[];
        ingress: NetworkPolicyRule[];
        egress: NetworkPolicyRule[];
      };
    }>('NetworkPolicy');
    expect(policy.apiVersion).toBe('networking.k8s.io/v1');
    expect(selects(policy.spec.podSelector.matchLabels)).toBe(true);
    expect([...policy.spec.policyTypes].sort()).toEqual(['Egress', 'Ingress']);
    expect(policy.spec.ingress).toHaveLength(1);
    const [ingress] = policy.spec.ingress;
    expect(ingress.from).toEqual([
      {
        namespaceSelector: {
          matchLabels: { 'kubernetes.io/metadata.name': 'monitoring' },
        },
      },
    ]);
    expect(
      ingress.ports?.map(({ port, protocol }) => [
        containerPort(port),
        protocol,
      ]),
    ).toEqual([[METRICS_PORT, 'TCP']]);
  });

  it('lets out only DNS, the tasks API and HTTPS to addresses outside private networks', () => {
    const policy = one<{ spec: { egress: NetworkPolicyRule[] } }>(
      'NetworkPolicy',
    );
    const { egress } = policy.spec;
    // Every rule names where and which ports: nothing else leaves the pod.
    for (const rule of egress) {
      expect(rule.to?.length).toBeGreaterThan(0);
      expect(rule.ports?.length).toBeGreaterThan(0);
    }
    const ports = (rule: NetworkPolicyRule) =>
      (rule.ports ?? [])
        .map(({ port, protocol }) => `${port}/${protocol ?? 'TCP'}`)
        .sort();
    expect([...new Set(egress.flatMap((rule) => ports(rule)))].sort()).toEqual([
      '443/TCP',
      '53/TCP',
      '53/UDP',
    ]);

    const dns = egress.filter((rule) => ports(rule).includes('53/UDP'));
    expect(dns).toEqual([
      {
        to: [
          {
            namespaceSelector: {
              matchLabels: { 'kubernetes.io/metadata.name': 'kube-system' },
            },
            podSelector: { matchLabels: { 'k8s-app': 'kube-dns' } },
          },
        ],
        ports: expect.arrayContaining([
          { port: 53, protocol: 'UDP' },
          { port: 53, protocol: 'TCP' },
        ]) as unknown,
      },
    ]);

    // The tasks API in its namespace; Ory Cloud and OpenAI outside the cluster.
    const https = egress.filter((rule) => !ports(rule).includes('53/UDP'));
    expect(https.map(ports)).toEqual([['443/TCP'], ['443/TCP']]);
    const peers = https.flatMap((rule) => rule.to ?? []);
    expect(peers).toContainEqual({
      namespaceSelector: {
        matchLabels: { 'kubernetes.io/metadata.name': expect.any(String) },
      },
    });
    const internet = peers.find((peer) => peer.ipBlock)?.ipBlock;
    expect(internet?.cidr).toBe('0.0.0.0/0');
    // Private networks (the cluster's own among them) and link-local
    // addresses (cloud metadata endpoints) are not "the internet".
    expect(internet?.except).toEqual(
      expect.arrayContaining([
        '10.0.0.0/8',
        '172.16.0.0/12',
        '192.168.0.0/16',
        '169.254.0.0/16',
      ]),
    );
  });

  it('runs OpenAI embeddings and HTTPS only in production: no silent mock mode, no plain HTTP to the internet', () => {
    expect(configMap.data.EMBEDDING_PROVIDER).toBe('openai');
    expect(configMap.data.REQUIRE_HTTPS).toBe('true');
    const urls = Object.entries(configMap.data).filter(([name]) =>
      name.endsWith('_URL'),
    );
    expect(urls.map(([name]) => name)).toContain('API_BASE_URL');
    for (const [name, url] of urls)
      expect(new URL(url).protocol, name).toBe('https:');
    // Ory Cloud's token endpoint, derived from the slug, is HTTPS.
    expect(configMap.data.ORY_PROJECT_SLUG).toBeTruthy();

    // What the configuration module makes of them, with the image's NODE_ENV.
    const problemsWith = (secrets: Record<string, string>) => {
      try {
        const config = ServiceConfig.fromEnvironment({
          NODE_ENV: 'production',
          ...configMap.data,
          ...secrets,
        });
        expect(config.embeddings.provider.kind).toBe('providers');
        expect(config.auth.tokenUrl).toMatch(/^https:\/\//);
        return [];
      } catch (error) {
        if (error instanceof ConfigValidationError) return error.problems;
        throw error;
      }
    };
    expect(
      problemsWith({
        OAUTH2_CLIENT_SECRET: 'from-the-secret-store',
        OPENAI_API_KEY: 'sk-from-the-secret-store',
      }),
    ).toEqual([]);
    // The example Secret's placeholders stop it instead of mocking embeddings.
    const placeholders = { ...secret?.stringData, ...secret?.data };
    expect(placeholders.OPENAI_API_KEY).toBeDefined();
    expect(problemsWith(placeholders)).toEqual([
      expect.stringContaining('OPENAI_API_KEY'),
    ]);
  });

  it('runs one replica by default, replaced (not rolled) on update so that two never claim at once', () => {
    expect(deployment.spec.replicas).toBe(1);
    expect(deployment.spec.strategy).toEqual({ type: 'Recreate' });
  });

  it('probes /health for liveness and /ready for readiness on the metrics port', () => {
    expect(pod.containers).toHaveLength(1);
    expect(container.ports).toEqual([
      expect.objectContaining({ containerPort: METRICS_PORT }),
    ]);
    expect(configMap.data.METRICS_PORT).toBe(String(METRICS_PORT));
    expect(container.livenessProbe.httpGet.path).toBe('/health');
    expect(container.readinessProbe.httpGet.path).toBe('/ready');
    for (const probe of [
      container.livenessProbe,
      container.readinessProbe,
      container.startupProbe ?? container.livenessProbe,
    ])
      expect(containerPort(probe.httpGet.port)).toBe(METRICS_PORT);
    expect(deployment.spec.template.metadata.annotations).toMatchObject({
      'prometheus.io/port': String(METRICS_PORT),
      'prometheus.io/path': '/metrics',
    });
  });

  it('gives the service longer than SHUTDOWN_TIMEOUT_SECONDS to finish its tasks', () => {
    const shutdown = Number(
      configMap.data.SHUTDOWN_TIMEOUT_SECONDS ?? SHUTDOWN_DEFAULT_SECONDS,
    );
    expect(pod.terminationGracePeriodSeconds).toBeGreaterThan(shutdown);
  });

  it('runs as non-root on a read-only root filesystem with requests and limits', () => {
    const security = { ...pod.securityContext, ...container.securityContext };
    // No service-link variables (FOO_SERVICE_HOST, ...) from the namespace.
    expect(pod.enableServiceLinks).toBe(false);
    expect(security.runAsNonRoot).toBe(true);
    expect(security.runAsUser).toBeGreaterThan(0);
    expect(security.readOnlyRootFilesystem).toBe(true);
    expect(security.allowPrivilegeEscalation).toBe(false);
    for (const resource of ['cpu', 'memory']) {
      expect(container.resources.requests[resource], resource).toBeTruthy();
      expect(container.resources.limits[resource], resource).toBeTruthy();
    }
  });

  it('takes its settings from the ConfigMap and the Secret (made as the example shows), with only known variables and the secrets in the Secret', () => {
    expect(secret).toBeDefined();
    expect(container.envFrom).toEqual([
      { configMapRef: { name: configMap.metadata.name } },
      { secretRef: { name: secret?.metadata.name } },
    ]);
    const names = [
      ...Object.keys(configMap.data),
      ...secretNames,
      ...(container.env ?? []).map(({ name }) => name),
    ];
    expect(names.filter((name) => !KNOWN_VARIABLES.has(name))).toEqual([]);
    expect(secretNames.sort()).toEqual([...SECRET_VARIABLES].sort());
    expect(
      Object.keys(configMap.data).filter((name) => SECRET_VARIABLES.has(name)),
    ).toEqual([]);
    // Enough to start: what the configuration module requires is set.
    expect(names).toEqual(
      expect.arrayContaining([
        'API_BASE_URL',
        'OAUTH2_CLIENT_ID',
        'OAUTH2_CLIENT_SECRET',
      ]),
    );
    expect(
      names.includes('ORY_PROJECT_SLUG') || names.includes('OAUTH2_TOKEN_URL'),
    ).toBe(true);
  });

  it('selects the pods from the Deployment, the Service and the PodDisruptionBudget', () => {
    expect(selects(deployment.spec.selector.matchLabels)).toBe(true);
    const service = one<{
      spec: {
        selector: Record<string, string>;
        ports: { port: number; targetPort: string | number }[];
      };
    }>('Service');
    expect(selects(service.spec.selector)).toBe(true);
    expect(
      service.spec.ports.map(({ targetPort }) => containerPort(targetPort)),
    ).toEqual([METRICS_PORT]);
    const budget = one<{
      apiVersion: string;
      spec: { selector: { matchLabels: Record<string, string> } };
    }>('PodDisruptionBudget');
    expect(budget.apiVersion).toBe('policy/v1');
    expect(selects(budget.spec.selector.matchLabels)).toBe(true);
  });

  it('autoscales, in the autoscaling overlay, on tasks in flight per pod with rolling updates', () => {
    const overlay = kustomize(join(K8S, 'autoscaling'));
    expect(overlay.objects).toEqual(expect.arrayContaining(objects));
    const autoscalers = overlay.objects.filter(
      (object) => object.kind === 'HorizontalPodAutoscaler',
    );
    expect(autoscalers).toHaveLength(1);
    const autoscaler = autoscalers[0] as unknown as {
      apiVersion: string;
      spec: {
        scaleTargetRef: { kind: string; name: string };
        minReplicas: number;
        maxReplicas: number;
        metrics: {
          type: string;
          pods?: { metric: { name: string }; target: { type: string } };
        }[];
      };
    };
    expect(autoscaler.apiVersion).toBe('autoscaling/v2');
    expect(autoscaler.spec.scaleTargetRef).toMatchObject({
      kind: 'Deployment',
      name: deployment.metadata.name,
    });
    expect(autoscaler.spec.minReplicas).toBeLessThanOrEqual(
      autoscaler.spec.maxReplicas,
    );
    expect(autoscaler.spec.metrics).toEqual([
      expect.objectContaining({
        type: 'Pods',
        pods: expect.objectContaining({
          metric: { name: METRIC.tasksInFlight },
        }) as unknown,
      }),
    ]);

    expect(overlay.patches).toHaveLength(1);
    const [patch] = overlay.patches;
    expect(patch).toMatchObject({
      kind: 'Deployment',
      metadata: { name: deployment.metadata.name },
    });
    const patched = merge(deployment, patch);
    expect(patched.spec.strategy.type).toBe('RollingUpdate');
    expect(patched.spec.replicas).toBeGreaterThanOrEqual(
      autoscaler.spec.minReplicas,
    );
    // Each replica keeps its own data volume (no shared SQLite file: budgets
    // go through Redis with several replicas); everything else of the base
    // stays as it is.
    const volumes = (template: typeof deployment.spec.template) =>
      template.spec.volumes;
    expect(volumes(patched.spec.template)).toContainEqual({
      name: 'data',
      emptyDir: { sizeLimit: '16Mi' },
    });
    const withoutVolumes = (template: typeof deployment.spec.template) => ({
      ...template,
      spec: { ...template.spec, volumes: undefined },
    });
    expect(withoutVolumes(patched.spec.template)).toEqual(
      withoutVolumes(deployment.spec.template),
    );
    expect(volumes(patched.spec.template).map(({ name }) => name)).toEqual(
      volumes(deployment.spec.template).map(({ name }) => name),
    );
  });

  it('runs the image the Dockerfile builds', () => {
    const runtime = parseDockerfile(PROJECT_DOCKERFILE).at(-1)!;
    const user = runtime.instructions
      .filter(({ keyword }) => keyword === 'USER')
      .at(-1)!.args;
    expect(Number(user.split(':')[0])).toBe(
      (pod.securityContext ?? container.securityContext).runAsUser,
    );
    expect(
      execForm(
        runtime.instructions.find(({ keyword }) => keyword === 'CMD')!.args,
      ),
    ).toEqual(['node', 'dist/apps/ai-task-processor/main.js']);
    expect(container.image.split(':')[0]).toBe('ai-task-processor');
  });
});

describe('.env.example', () => {
  it('names only variables the configuration module knows', () => {
    const names = readFileSync(join(ROOT, '.env.example'), 'utf8')
      .split('\n')
      .filter((line) => /^[A-Z_][A-Z0-9_]*=/.test(line))
      .map((line) => line.split('=')[0]);
    expect(names.length).toBeGreaterThan(20);
    expect(names.filter((name) => !KNOWN_VARIABLES.has(name))).toEqual([]);
  });
});
