import type { TestingModule } from '@nestjs/testing';
import { type Sandbox, startSandbox } from '../../../test/support/sandbox.js';
import { connectionEnvironment } from '../../../test/support/service-against-sandbox.js';
import { startLibraryModule } from '../../../test/support/library-module.js';
import {
  LIFECYCLE_TIMINGS,
  defaultLifecycleTimings,
} from './lifecycle-timings.js';
import { TaskPoller } from './task-poller.js';
import { TasksModule } from './tasks.module.js';

describe('TaskPoller.releaseAll (a crash)', () => {
  let sandbox: Sandbox;
  let app: TestingModule;

  beforeEach(async () => {
    sandbox = await startSandbox();
    // Embeddings that take far longer than the test: the tasks stay running.
    sandbox.updateSwitches({ embeddingsLatencyMs: 60_000 });
    app = await startLibraryModule({
      env: {
        ...connectionEnvironment(sandbox),
        EMBEDDING_PROVIDER: 'openai',
        OPENAI_API_KEY: 'sk-sandbox-key',
        OPENAI_BASE_URL: sandbox.embeddingsUrl,
        WIKIDATA_USER_AGENT:
          'ai-task-processor-tests/1.0 (https://example.org)',
        OPENAI_TIMEOUT: '120',
        CONCURRENCY_LIMIT: '4',
        PREFETCH_LIMIT: '0',
        POLLING_INTERVAL_SECONDS: '3600',
      },
      imports: [TasksModule],
      overrides: [
        [
          LIFECYCLE_TIMINGS,
          { ...defaultLifecycleTimings, releaseGraceMs: 2_000 },
        ],
      ],
    });
  });
  afterEach(async () => {
    await app.close();
    await sandbox.close();
  });

  it('gives back every running task at once and resolves when the releases are sent', async () => {
    sandbox.seed(6);
    await vi.waitFor(() => expect(sandbox.stats().tasks.in_progress).toBe(4), {
      timeout: 10_000,
    });

    await app.get(TaskPoller).releaseAll();

    expect(sandbox.stats().tasks).toMatchObject({
      in_progress: 0,
      pending: 6,
    });
    expect(sandbox.stats().releases).toBe(4);
  });
});
