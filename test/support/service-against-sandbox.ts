import type { Sandbox } from './sandbox.js';
import { startService } from './service-process.js';

type SandboxAddress = Pick<
  Sandbox,
  'url' | 'tokenUrl' | 'embeddingsUrl' | 'clientId' | 'clientSecret'
>;

export interface ServiceOptions {
  /** Embed through the real OpenAI SDK and the sandbox's endpoint instead of the mock. */
  openaiCompatible?: boolean;
  env?: Record<string, string>;
  args?: string[];
}

/** The settings that reach a sandbox's tasks API with its issuer's client. */
export function connectionEnvironment(
  sandbox: Pick<
    SandboxAddress,
    'url' | 'tokenUrl' | 'clientId' | 'clientSecret'
  >,
): Record<string, string> {
  return {
    API_BASE_URL: sandbox.url,
    OAUTH2_TOKEN_URL: sandbox.tokenUrl,
    OAUTH2_CLIENT_ID: sandbox.clientId,
    OAUTH2_CLIENT_SECRET: sandbox.clientSecret,
  };
}

/** Settings that point the built service at a sandbox; tests add their own. */
export function serviceEnvironment(
  sandbox: SandboxAddress,
  { openaiCompatible = false, env = {} }: ServiceOptions = {},
): Record<string, string> {
  return {
    ...connectionEnvironment(sandbox),
    CIRCUIT_BREAKER_RESET_SECONDS: '1',
    ...(openaiCompatible
      ? {
          EMBEDDING_PROVIDER: 'openai',
          OPENAI_API_KEY: 'sk-sandbox-key',
          OPENAI_BASE_URL: sandbox.embeddingsUrl,
          WIKIDATA_API_URL: `${sandbox.url}/w/api.php`,
          WIKIDATA_USER_AGENT:
            'ai-task-processor-tests/1.0 (https://example.org/ai-task-processor)',
        }
      : { EMBEDDING_PROVIDER: 'mock' }),
    ...env,
  };
}

/** Starts the built service against a sandbox and waits until it listens. */
export function startServiceAgainst(
  sandbox: SandboxAddress,
  options: ServiceOptions = {},
) {
  return startService(serviceEnvironment(sandbox, options), options.args);
}

/** The service's peak resident memory (VmHWM), in MiB, from Linux's /proc. */
export async function peakRssMiB(pid: number): Promise<number> {
  const { readFile } = await import('node:fs/promises');
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kib = Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1]);
  return kib / 1024;
}
