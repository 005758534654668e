// `npm run demo`: the sandbox (its reference profile, the throttle raised) with
// a seeded backlog, the service against it, progress until the backlog is
// drained, a summary, then both keep running until Ctrl-C. Run by Node 24
// directly (type stripping): erasable TypeScript only, and it talks to the two
// built apps over HTTP, never imports them.
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { Child } from './demo/child.ts';
import { type DemoOptions, USAGE, parseDemoOptions } from './demo/options.ts';
import { portProblem } from './demo/ports.ts';
import { ProgressLine } from './demo/progress.ts';
import {
  type SandboxStats,
  fetchStats,
  summariseBatch,
} from './demo/sandbox-stats.ts';

const ROOT = resolve(import.meta.dirname, '..');
const SANDBOX_ENTRY = join(ROOT, 'dist/apps/sandbox/main.js');
const SERVICE_ENTRY = join(ROOT, 'dist/apps/ai-task-processor/main.js');
const START_TIMEOUT_MS = 60_000;
const SAMPLE_EVERY_MS = 200;
const PLAIN_LINE_EVERY_MS = 1_000;
const IDLE_CHECK_EVERY_MS = 1_000;
/** The service's own grace period is 30 s by default (SHUTDOWN_TIMEOUT_SECONDS). */
const SERVICE_STOP_LIMIT_MS =
  (Number(process.env.SHUTDOWN_TIMEOUT_SECONDS) || 30) * 1000 + 15_000;

const out = process.stdout;
const say = (line = '') => out.write(`${line}\n`);
const shown = (path: string) => {
  const fromHere = relative(process.cwd(), path);
  return fromHere.startsWith('..') ? path : fromHere;
};
const sleep = (ms: number) => new Promise((wake) => setTimeout(wake, ms));

const children: { sandbox?: Child; service?: Child } = {};
let stopping: Promise<never> | undefined;

/** Stops the service first (it finishes or releases its tasks), then the sandbox it reports to. */
function stopAll(exitCode: number, reason?: string): Promise<never> {
  stopping ??= (async () => {
    if (reason) say(reason);
    let failed = false;
    const { sandbox, service } = children;
    if (service?.running) {
      const status = await service.stop('SIGTERM', SERVICE_STOP_LIMIT_MS);
      failed ||= status.code !== 0;
      say(`service stopped (${status.signal ?? `exit code ${status.code}`})`);
    }
    if (sandbox?.running) {
      const status = await sandbox.stop('SIGTERM', 10_000);
      failed ||= status.code !== 0;
      say(`sandbox stopped (${status.signal ?? `exit code ${status.code}`})`);
    }
    process.exit(failed && exitCode === 0 ? 1 : exitCode);
  })();
  return stopping;
}

function onSignals(progress: ProgressLine): void {
  // A closed terminal must not turn the goodbye lines into a crash.
  out.on('error', () => undefined);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const)
    process.on(signal, () => {
      if (stopping) {
        // A second Ctrl-C: the service releases its tasks at once.
        children.service?.signal('SIGTERM');
        return;
      }
      progress.end();
      void stopAll(
        0,
        `${signal} received: stopping the service (it finishes or releases its tasks) and the sandbox`,
      );
    });
  // Whatever ends the demo, no child outlives it.
  process.on('exit', () => {
    children.service?.kill();
    children.sandbox?.kill();
  });
}

async function fail(message: string, child?: Child): Promise<never> {
  if (stopping) return stopping;
  process.stderr.write(`${message}\n`);
  if (child) {
    const lines = child.lastLines();
    if (lines)
      process.stderr.write(
        `last lines of ${shown(child.logPath)}:\n${lines}\n`,
      );
  }
  return stopAll(1);
}

async function checkPorts(options: DemoOptions): Promise<void> {
  const checks = [
    {
      port: options.sandboxPort,
      host: '127.0.0.1',
      who: 'sandbox',
      flag: 'sandbox-port',
      env: 'DEMO_SANDBOX_PORT',
    },
    {
      port: options.servicePort,
      host: undefined,
      who: 'service',
      flag: 'service-port',
      env: 'DEMO_SERVICE_PORT',
    },
  ];
  for (const { port, host, who, flag, env } of checks) {
    const problem = await portProblem(port, host);
    if (problem) {
      process.stderr.write(
        `port ${port} for the ${who} ${problem}: choose another with --${flag} <port> (or ${env}; 0 picks a free one)\n`,
      );
      process.exit(1);
    }
  }
}

/**
 * The sandbox's profile and throttle unless the user's own SANDBOX_* settings
 * say otherwise: the reference profile, which behaves like the real tasks API
 * (docs/sandbox.md), with its throttle raised from 1,000 to 100,000 requests
 * per 60 s so that the demo shows the service's own pace.
 * SANDBOX_THROTTLE_LIMIT=1000 shows production's.
 */
function sandboxDefaults(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  // An empty variable is unset for the sandbox too.
  const profile = env.SANDBOX_PROFILE || 'reference';
  return {
    SANDBOX_PROFILE: profile,
    // Only the reference profile has a throttle to raise; a lenient sandbox keeps none.
    ...(profile === 'reference' && !env.SANDBOX_THROTTLE_LIMIT
      ? { SANDBOX_THROTTLE_LIMIT: '100000' }
      : {}),
  };
}

async function startSandbox(
  options: DemoOptions,
  clientSecret: string,
  apiKey: string,
) {
  const sandbox = new Child(
    'sandbox',
    SANDBOX_ENTRY,
    [
      '--host',
      '127.0.0.1',
      '--port',
      String(options.sandboxPort),
      '--seed',
      String(options.tasks),
      // Every task type the service handles: embeddings and the four verification types.
      '--seed-types',
      'all',
    ],
    {
      ...process.env,
      ...sandboxDefaults(process.env),
      SANDBOX_CLIENT_SECRET: clientSecret,
      ...(options.openaiCompatible
        ? { SANDBOX_EMBEDDINGS_API_KEY: apiKey }
        : {}),
    },
    options.logDir,
    join(options.logDir, 'sandbox.log'),
  );
  children.sandbox = sandbox;
  try {
    const listening = await sandbox.waitForRecord(
      (record) => record.msg === 'sandbox listening',
      START_TIMEOUT_MS,
    );
    return {
      url: String(listening.url),
      tokenUrl: String(listening.tokenUrl),
      embeddingsUrl: String(listening.embeddingsUrl),
      clientId: String(listening.clientId),
      log: sandbox.logPath,
    };
  } catch (error) {
    return fail(
      `${(error as Error).message}${portHint(sandbox, options.sandboxPort, 'sandbox-port')}`,
      sandbox,
    );
  }
}

function portHint(child: Child, port: number, flag: string): string {
  return child.lastLines().includes('EADDRINUSE')
    ? `: port ${port} is in use, choose another with --${flag} <port>`
    : '';
}

async function startService(
  options: DemoOptions,
  sandbox: Awaited<ReturnType<typeof startSandbox>>,
  clientSecret: string,
  apiKey: string,
) {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    API_BASE_URL: sandbox.url,
    OAUTH2_TOKEN_URL: sandbox.tokenUrl,
    OAUTH2_CLIENT_ID: sandbox.clientId,
    OAUTH2_CLIENT_SECRET: clientSecret,
    METRICS_PORT: String(options.servicePort),
    RUN_ONCE: 'false',
    POLLING_INTERVAL_SECONDS: process.env.POLLING_INTERVAL_SECONDS || '5',
  };
  if (options.openaiCompatible)
    Object.assign(env, {
      EMBEDDING_PROVIDER: 'openai',
      OPENAI_API_KEY: apiKey,
      OPENAI_BASE_URL: sandbox.embeddingsUrl,
      WIKIDATA_API_URL: `${sandbox.url}/w/api.php`,
      WIKIDATA_USER_AGENT:
        'ai-task-processor-demo/1.0 (https://example.org/ai-task-processor)',
    });
  else {
    env.EMBEDDING_PROVIDER = 'mock';
    delete env.OPENAI_API_KEY;
    delete env.OPENAI_BASE_URL;
  }
  // Its working directory is the log folder: a .env meant for real work is not read.
  const service = new Child(
    'service',
    SERVICE_ENTRY,
    [],
    env,
    options.logDir,
    join(options.logDir, 'service.log'),
  );
  children.service = service;
  try {
    const listening = await service.waitForRecord(
      (record) => record.msg === 'http server listening',
      START_TIMEOUT_MS,
    );
    return {
      url: `http://127.0.0.1:${Number(listening.port)}`,
      log: service.logPath,
    };
  } catch (error) {
    return fail(
      `${(error as Error).message}${portHint(service, options.servicePort, 'service-port')}`,
      service,
    );
  }
}

/** Samples the sandbox until nothing is pending or in progress, showing the batch since `before`. */
async function drain(
  sandboxUrl: string,
  progress: ProgressLine,
  before: SandboxStats,
): Promise<void> {
  const doneBefore = before.tasks.succeeded + before.tasks.failed;
  let firstClaimAt: number | undefined;
  for (;;) {
    const stats = await fetchStats(sandboxUrl);
    if (stopping) return;
    if (!children.service?.running)
      await fail('the service exited unexpectedly', children.service);
    const { tasks } = stats;
    const done = tasks.succeeded + tasks.failed - doneBefore;
    const open = tasks.pending + tasks.in_progress;
    if (firstClaimAt === undefined && stats.claims > before.claims)
      firstClaimAt = Date.now();
    const seconds =
      firstClaimAt === undefined ? 0 : (Date.now() - firstClaimAt) / 1000;
    progress.show(
      {
        done,
        total: done + open,
        succeeded: tasks.succeeded - before.tasks.succeeded,
        failed: tasks.failed - before.tasks.failed,
        inFlight: tasks.in_progress,
        rate: seconds > 0 ? done / seconds : undefined,
      },
      open === 0,
    );
    if (open === 0) return;
    await sleep(SAMPLE_EVERY_MS);
  }
}

async function report(
  sandboxUrl: string,
  sinceMs: number,
  releasesBefore: number,
): Promise<number> {
  const [batch, stats] = await Promise.all([
    summariseBatch(sandboxUrl, sinceMs),
    fetchStats(sandboxUrl),
  ]);
  const seconds = batch.elapsedMs / 1000;
  const rate = seconds > 0 ? (batch.succeeded + batch.failed) / seconds : 0;
  const releases = stats.releases - releasesBefore;
  say(
    `summary: ${batch.succeeded} succeeded, ${batch.failed} failed in ${seconds.toFixed(1)} s (${rate.toFixed(1)} tasks/s)${
      releases > 0 ? `; ${releases} released on the way and retried` : ''
    }`,
  );
  for (const [type, counts] of batch.byType) {
    say(
      `  ${type.padEnd(22)} ${counts.succeeded} succeeded${counts.failed > 0 ? `, ${counts.failed} failed` : ''}`,
    );
  }
  return batch.endMs;
}

async function main(): Promise<void> {
  const parsed = parseDemoOptions(process.argv.slice(2), process.env);
  if (parsed.kind === 'help') {
    say(USAGE);
    return;
  }
  if (parsed.kind === 'invalid') {
    process.stderr.write(
      `${parsed.problems.join('\n')}\n(--help lists the options)\n`,
    );
    process.exit(1);
  }
  const { options } = parsed;
  for (const entry of [SANDBOX_ENTRY, SERVICE_ENTRY])
    if (!existsSync(entry)) {
      process.stderr.write(
        `${shown(entry)} is missing: run npm run build first (npm run demo does)\n`,
      );
      process.exit(1);
    }
  await checkPorts(options);
  mkdirSync(options.logDir, { recursive: true });

  const progress = new ProgressLine(out, PLAIN_LINE_EVERY_MS);
  onSignals(progress);
  // Fresh credentials per run: the service gets them from the demo, never from a file.
  const clientSecret = `demo-${randomBytes(16).toString('hex')}`;
  const apiKey = `sk-demo-${randomBytes(16).toString('hex')}`;

  const sandbox = await startSandbox(options, clientSecret, apiKey);
  say(
    `sandbox  ${sandbox.url} with ${options.tasks} pending tasks (log: ${shown(sandbox.log)})`,
  );
  const before = await fetchStats(sandbox.url);
  const service = await startService(options, sandbox, clientSecret, apiKey);
  const serviceUrl = service.url;
  say(
    `service  ${serviceUrl}, ${
      options.openaiCompatible
        ? `embeddings through the openai SDK at ${sandbox.embeddingsUrl}`
        : 'mock embeddings'
    } (log: ${shown(service.log)})`,
  );

  await drain(sandbox.url, progress, before);
  if (stopping) return;
  progress.end();
  let sinceMs = await report(sandbox.url, 0, before.releases);
  say();
  say('Both keep running until Ctrl-C:');
  say(`  metrics        ${serviceUrl}/metrics`);
  say(`  readiness      ${serviceUrl}/ready`);
  say(`  liveness       ${serviceUrl}/health`);
  say(`  sandbox stats  ${sandbox.url}/admin/stats`);
  say(
    `  more tasks     curl -s -X POST -H 'content-type: application/json' -d '{"count":100}' ${sandbox.url}/admin/seed`,
  );

  // New tasks (seeded through /admin, or created with POST) are drained and summarised too.
  for (;;) {
    await sleep(IDLE_CHECK_EVERY_MS);
    const stats = await fetchStats(sandbox.url);
    if (stopping) return;
    if (!children.service?.running)
      await fail('the service exited unexpectedly', children.service);
    if (stats.tasks.pending + stats.tasks.in_progress === 0) continue;
    await drain(sandbox.url, progress, stats);
    if (stopping) return;
    progress.end();
    sinceMs = await report(sandbox.url, sinceMs, stats.releases);
  }
}

main().catch((error: unknown) => {
  if (stopping) return;
  void fail(
    `demo failed: ${error instanceof Error ? error.message : String(error)}`,
  );
});
