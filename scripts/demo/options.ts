import { resolve } from 'node:path';
import { parseArgs } from 'node:util';

export interface DemoOptions {
  tasks: number;
  sandboxPort: number;
  servicePort: number;
  openaiCompatible: boolean;
  logDir: string;
}

export type ParsedOptions =
  | { kind: 'run'; options: DemoOptions }
  | { kind: 'help' }
  | { kind: 'invalid'; problems: string[] };

const ROOT = resolve(import.meta.dirname, '../..');

export const USAGE = `npm run demo [-- options]    (or: node scripts/demo.ts [options] after npm run build)

Starts the sandbox with seeded tasks and the service against it, shows the backlog draining,
prints a summary, and keeps both running until Ctrl-C.

  --tasks N               pending tasks to seed (DEMO_TASKS, default 300)
  --sandbox-port PORT     the sandbox's port (DEMO_SANDBOX_PORT, default 3000; 0: any free port)
  --service-port PORT     the service's /health, /ready, /metrics port (DEMO_SERVICE_PORT, default 8001; 0: any free port)
  --openai-compatible     embed through the openai SDK and the sandbox's /v1/embeddings
                          instead of the built-in mock (DEMO_OPENAI_COMPATIBLE=true)
  --log-dir DIR           where service.log and sandbox.log go (DEMO_LOG_DIR, default .demo)
  -h, --help              this text

Other service settings (CONCURRENCY_LIMIT, LOG_LEVEL, ...) and sandbox settings (SANDBOX_*) are
taken from the environment. The sandbox runs its reference profile, which behaves like the real
tasks API, with the throttle raised to 100,000 requests per 60 s (SANDBOX_PROFILE=reference,
SANDBOX_THROTTLE_LIMIT=100000); SANDBOX_THROTTLE_LIMIT=1000 shows production's pace.`;

const TRUE_WORDS = new Set(['1', 'true', 'yes']);

function integer(
  name: string,
  raw: string,
  max: number,
  problems: string[],
): number {
  const value = /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!(value <= max)) {
    problems.push(`${name} must be an integer from 0 to ${max} (got "${raw}")`);
    return 0;
  }
  return value;
}

/** Flags win over the environment; every invalid value is named. */
export function parseDemoOptions(
  args: string[],
  env: NodeJS.ProcessEnv,
): ParsedOptions {
  let flags: Record<string, string | boolean | undefined>;
  try {
    flags = parseArgs({
      args,
      options: {
        tasks: { type: 'string' },
        'sandbox-port': { type: 'string' },
        'service-port': { type: 'string' },
        'openai-compatible': { type: 'boolean' },
        'log-dir': { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    }).values;
  } catch (error) {
    return { kind: 'invalid', problems: [(error as Error).message] };
  }
  if (flags.help) return { kind: 'help' };

  const problems: string[] = [];
  const read = (flag: string, variable: string, fallback: string) => {
    const fromFlag = flags[flag];
    if (typeof fromFlag === 'string')
      return { name: `--${flag}`, raw: fromFlag };
    const fromEnv = env[variable];
    return fromEnv
      ? { name: variable, raw: fromEnv }
      : { name: variable, raw: fallback };
  };
  const number = (
    flag: string,
    variable: string,
    fallback: string,
    max: number,
  ) => {
    const { name, raw } = read(flag, variable, fallback);
    return integer(name, raw, max, problems);
  };
  const options: DemoOptions = {
    tasks: number('tasks', 'DEMO_TASKS', '300', 1_000_000),
    sandboxPort: number('sandbox-port', 'DEMO_SANDBOX_PORT', '3000', 65_535),
    servicePort: number('service-port', 'DEMO_SERVICE_PORT', '8001', 65_535),
    openaiCompatible:
      flags['openai-compatible'] === true ||
      TRUE_WORDS.has((env.DEMO_OPENAI_COMPATIBLE ?? '').toLowerCase()),
    logDir: '',
  };
  const logDir = read('log-dir', 'DEMO_LOG_DIR', '').raw;
  options.logDir = logDir ? resolve(logDir) : resolve(ROOT, '.demo');
  if (options.sandboxPort !== 0 && options.sandboxPort === options.servicePort)
    problems.push(
      `the sandbox and the service cannot share port ${options.sandboxPort}: change --sandbox-port or --service-port`,
    );
  return problems.length
    ? { kind: 'invalid', problems }
    : { kind: 'run', options };
}
