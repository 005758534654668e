import { imageNodeOptions } from '../../test/support/dockerfile.ts';
import { readFile } from 'node:fs/promises';
import {
  type Exposition,
  parseExposition,
  total,
} from '../../test/support/exposition.ts';
import { round } from './figures.ts';
import { type BenchProcess, SERVICE_ENTRY, startProcess } from './processes.ts';
import { CLIENT_ID, CLIENT_SECRET, type SandboxProcess } from './sandbox.ts';

/** The heap budget of the production image (Dockerfile, runtime stage): measured as deployed. */
export const IMAGE_NODE_OPTIONS = imageNodeOptions();

export type Embeddings = 'mock' | 'openai-sdk';

/** Settings that point the service at the sandbox; each case adds its own. */
export function serviceEnvironment(
  sandbox: SandboxProcess,
  embeddings: Embeddings,
  settings: Record<string, string>,
): Record<string, string> {
  return {
    NODE_ENV: 'production',
    NODE_OPTIONS: IMAGE_NODE_OPTIONS,
    API_BASE_URL: sandbox.url,
    OAUTH2_TOKEN_URL: sandbox.tokenUrl,
    OAUTH2_CLIENT_ID: CLIENT_ID,
    OAUTH2_CLIENT_SECRET: CLIENT_SECRET,
    METRICS_PORT: '0',
    // The default, spelled out: the bench reads the info-level "listening" line.
    LOG_LEVEL: 'info',
    ...(embeddings === 'openai-sdk'
      ? {
          EMBEDDING_PROVIDER: 'openai',
          OPENAI_API_KEY: 'sk-bench',
          OPENAI_BASE_URL: sandbox.embeddingsUrl,
          WIKIDATA_API_URL: `${sandbox.url}/w/api.php`,
          WIKIDATA_USER_AGENT:
            'ai-task-processor-bench/1.0 (https://example.org/ai-task-processor)',
        }
      : { EMBEDDING_PROVIDER: 'mock' }),
    ...settings,
  };
}

/** The settings as recorded in a result file: the API key is not a setting worth keeping. */
export function recordedSettings(
  env: Record<string, string>,
): Record<string, string> {
  const recorded: Record<string, string> = {
    '(not listed)': 'defaults of docs/contract.md §4',
  };
  for (const [name, value] of Object.entries(env)) {
    if (/SECRET|API_KEY/.test(name)) continue;
    // Loopback ports change every run.
    recorded[name] = value.replace(/127\.0\.0\.1:\d+/, '127.0.0.1:<port>');
  }
  return recorded;
}

export interface ServiceProcess {
  process: BenchProcess;
  /** Where /health, /ready and /metrics answer. */
  metricsUrl: string;
}

/** Starts the built service (METRICS_PORT=0) and waits until its HTTP server listens. */
export async function startService(
  env: Record<string, string>,
  nodeArgs: readonly string[] = [],
): Promise<ServiceProcess> {
  const service = startProcess(SERVICE_ENTRY, env, [], nodeArgs);
  try {
    const listening = await service.waitForJson(
      (record) => record.msg === 'http server listening',
      30_000,
    );
    return {
      process: service,
      metricsUrl: `http://127.0.0.1:${Number(listening.port)}/metrics`,
    };
  } catch (error) {
    await service.stop();
    throw error;
  }
}

/** Memory as the service's own Node process metrics report it, in MiB. */
export interface MemorySample {
  heapUsedMiB: number;
  heapTotalMiB: number;
  externalMiB: number;
}

const MEMORY_METRICS: Record<string, keyof MemorySample> = {
  nodejs_heap_size_used_bytes: 'heapUsedMiB',
  nodejs_heap_size_total_bytes: 'heapTotalMiB',
  nodejs_external_memory_bytes: 'externalMiB',
};

/** One scrape of /metrics, reduced to the heap figures. */
export async function sampleMemory(metricsUrl: string): Promise<MemorySample> {
  const response = await fetch(metricsUrl, {
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  const sample: MemorySample = {
    heapUsedMiB: 0,
    heapTotalMiB: 0,
    externalMiB: 0,
  };
  for (const line of text.split('\n')) {
    const [name, value] = line.split(' ');
    const field = MEMORY_METRICS[name];
    if (field) sample[field] = Number(value) / 2 ** 20;
  }
  return sample;
}

/**
 * Mean durations from the service's own histograms, in milliseconds: one
 * PATCH to the tasks API (a claim or a report, timeouts and retries
 * included), and a task from its claim's answer to its report's.
 */
export interface ServiceLatencies {
  patchMeanMs: number;
  taskMeanMs: number;
}

const meanMs = (
  exposition: Exposition,
  name: string,
  labels: Record<string, string>,
): number =>
  round(
    (total(exposition, `${name}_sum`, labels) /
      total(exposition, `${name}_count`, labels)) *
      1000,
  );

export async function sampleLatencies(
  metricsUrl: string,
): Promise<ServiceLatencies> {
  const response = await fetch(metricsUrl, {
    signal: AbortSignal.timeout(10_000),
  });
  const exposition = parseExposition(await response.text());
  return {
    patchMeanMs: meanMs(exposition, 'api_request_duration_seconds', {
      endpoint: '/api/ai-tasks/:id',
      method: 'PATCH',
    }),
    taskMeanMs: meanMs(exposition, 'ai_task_processing_duration_seconds', {}),
  };
}

/** The service's own account of the tasks API's rate limit (its `api_throttled_*` metrics). */
export interface ServiceThrottle {
  /** 429s the service received from the tasks API. */
  throttled: number;
  /** Wall seconds during which its calls to the tasks API were held back (pacing and pauses). */
  heldSeconds: number;
}

export async function sampleThrottle(
  metricsUrl: string,
): Promise<ServiceThrottle> {
  const response = await fetch(metricsUrl, {
    signal: AbortSignal.timeout(10_000),
  });
  const exposition = parseExposition(await response.text());
  return {
    throttled: total(exposition, 'api_throttled_total', { service: 'api' }),
    heldSeconds: round(
      total(exposition, 'api_throttled_seconds_total', { service: 'api' }),
    ),
  };
}

/** Current resident memory (VmRSS) of a live process, in MiB. */
export async function rssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

/** User plus system CPU seconds of a live process, from /proc/<pid>/stat. */
export async function cpuSeconds(
  pid: number,
  clockTick: number,
): Promise<number> {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8');
  // Fields after the command name, which is in parentheses and may hold spaces.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the line; the state (field 3) is index 0 here.
  return (Number(fields[11]) + Number(fields[12])) / clockTick;
}

/** Peak resident memory (VmHWM) of a live process, in MiB. */
export async function peakRssMiB(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}
