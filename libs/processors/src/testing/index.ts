// `@app/processors/testing`: the processors module as tests start it, for
// this library's specs and for processor modules added elsewhere. Never
// imported by the service.
import type { ModuleMetadata } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { register } from 'prom-client';
import { ReadinessRegistry } from '@app/observability';
import {
  CapturingLogger,
  startLibraryModule,
} from '@app/observability/testing';
import { VALID_ENVIRONMENT } from '@app/config/testing';
import { BatchTimer } from '../embeddings/batch-timer.js';
import { ChatModule } from '../chat/chat.module.js';
import { ChatProvider } from '../chat/chat-provider.js';
import {
  OPENAI_CLIENT_FACTORY,
  OPENAI_RETRY_TIMING,
} from '../processors.constants.js';
import {
  type OpenAiClientFactory,
  type OpenAiRetryTiming,
} from '../embeddings/openai-client.js';
import { ProcessorRegistry } from '../processor-registry.js';
import { ProcessorsModule } from '../processors.module.js';
import type { ProcessingResult } from '../task-processor.js';

/** The settings every test needs and none is about. */
export const BASE_ENV = {
  API_BASE_URL: 'http://127.0.0.1:9',
  OAUTH2_TOKEN_URL: 'http://127.0.0.1:9/oauth2/token',
  OAUTH2_CLIENT_ID: 'processor',
  OAUTH2_CLIENT_SECRET: 'client-secret-value',
  LOG_LEVEL: 'silent',
  // Room for every batch a test builds: a batch never holds more inputs than tasks in flight.
  CONCURRENCY_LIMIT: '256',
};

/** The messages logged at `level`, without the level prefix. */
export const logged = (logs: CapturingLogger, level: string): string[] =>
  logs.lines
    .filter((line) => line.startsWith(`${level} `))
    .map((line) => line.slice(level.length + 1));

export interface ProcessorsTestOptions {
  env?: Record<string, string>;
  /** Extension modules, as the app module would import them. */
  imports?: ModuleMetadata['imports'];
  timer?: BatchTimer;
  clientFactory?: OpenAiClientFactory;
  retryTiming?: OpenAiRetryTiming;
}

export interface ProcessorsTestContext {
  app: TestingModule;
  registry: ProcessorRegistry;
  logs: CapturingLogger;
  /** Runs the readiness check named `embeddings`; resolves to its error message or 'ready'. */
  embeddingsReadiness: () => Promise<string>;
  process: (
    content: unknown,
    type?: string,
    id?: string,
  ) => Promise<ProcessingResult>;
}

let taskNumber = 0;

/**
 * The processors module as the service builds it (configuration,
 * observability, registry, text embeddings), with tiny retry pauses.
 * Metrics are reset: prom-client's registry is per process.
 */
export async function startProcessors(
  options: ProcessorsTestOptions = {},
): Promise<ProcessorsTestContext> {
  register.resetMetrics();
  const logs = new CapturingLogger();
  const overrides: [unknown, unknown][] = [
    [
      OPENAI_RETRY_TIMING,
      options.retryTiming ?? { initialDelayMs: 1, maxDelayMs: 1_000 },
    ],
  ];
  if (options.timer) overrides.push([BatchTimer, options.timer]);
  if (options.clientFactory) {
    overrides.push([OPENAI_CLIENT_FACTORY, options.clientFactory]);
  }
  const app = await startLibraryModule({
    env: { ...BASE_ENV, ...options.env },
    imports: [ProcessorsModule, ...(options.imports ?? [])],
    overrides,
    logger: logs,
  });
  const registry = app.get(ProcessorRegistry);
  return {
    app,
    registry,
    logs,
    embeddingsReadiness: async () => {
      const check = new Map(app.get(ReadinessRegistry).entries()).get(
        'embeddings',
      );
      try {
        await check!();
        return 'ready';
      } catch (error) {
        return (error as Error).message;
      }
    },
    process: (content, type = 'text_embedding', id = `task-${++taskNumber}`) =>
      registry.process({ id, type, content }),
  };
}

export interface ChatTestOptions {
  /** Added to the valid environment of @app/config/testing. */
  env?: Record<string, string>;
  clientFactory?: OpenAiClientFactory;
  retryTiming?: OpenAiRetryTiming;
}

export interface ChatTestContext {
  app: TestingModule;
  /** The chat provider the configuration chose (openai or mock). */
  provider: ChatProvider;
  logs: CapturingLogger;
  /** Runs the readiness check named `chat`; resolves to its error message or 'ready'. */
  chatReadiness: () => Promise<string>;
}

/**
 * The chat module as the service builds it (configuration, observability,
 * the chosen chat provider), with tiny retry pauses. Metrics are reset:
 * prom-client's registry is per process.
 */
export async function startChat(
  options: ChatTestOptions = {},
): Promise<ChatTestContext> {
  register.resetMetrics();
  const logs = new CapturingLogger();
  const overrides: [unknown, unknown][] = [
    [
      OPENAI_RETRY_TIMING,
      options.retryTiming ?? { initialDelayMs: 1, maxDelayMs: 1_000 },
    ],
  ];
  if (options.clientFactory) {
    overrides.push([OPENAI_CLIENT_FACTORY, options.clientFactory]);
  }
  const app = await startLibraryModule({
    env: { ...VALID_ENVIRONMENT, LOG_LEVEL: 'silent', ...options.env },
    imports: [ChatModule],
    overrides,
    logger: logs,
  });
  return {
    app,
    provider: app.get(ChatProvider),
    logs,
    chatReadiness: async () => {
      const check = new Map(app.get(ReadinessRegistry).entries()).get('chat');
      try {
        await check!();
        return 'ready';
      } catch (error) {
        return (error as Error).message;
      }
    },
  };
}

// Wikidata: limits and pauses for tests, a clock they advance, and
// answers shaped as Wikidata's (wikidata-testing.ts).
export {
  ManualClock,
  TEST_WIKIDATA_RETRY_TIMING,
  type TestEntity,
  type TestSearchHit,
  wikidataEntitiesAnswer,
  wikidataEntity,
  wikidataLimits,
  wikidataOverrides,
  wikidataSearchAnswer,
} from '../wikidata/wikidata-testing.js';
