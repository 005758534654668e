import { waitUntil } from './support/eventually.js';
import {
  type Exposition,
  parseExposition,
  samplesOf,
} from './support/exposition.js';
import { type Sandbox, startReferenceSandbox } from './support/sandbox.js';
import { startServiceAgainst } from './support/service-against-sandbox.js';
import type { RunningProcess } from './support/service-process.js';

const CALLBACK = {
  callbackRoute: 'verification_update_embedding',
  callbackParams: { targetId: '6650f1c2a1b2c3d4e5f60719', field: 'embedding' },
};

/** The metrics whose labels a peer's tasks decide, and the label each takes from them. */
const PEER_LABELLED: [metric: string, label: string][] = [
  ['ai_tasks_processed_total', 'task_type'],
  ['ai_task_processing_duration_seconds_count', 'task_type'],
  ['openai_requests_total', 'model'],
  ['openai_tokens_used_total', 'model'],
  ['openai_batch_size_count', 'model'],
];

const valuesOf = (page: Exposition, name: string, label: string) =>
  new Set(samplesOf(page, name).map((sample) => sample.labels[label]));

describe('metric labels stay bounded whatever the tasks say (built service)', () => {
  let sandbox: Sandbox;
  let service: RunningProcess | undefined;

  afterAll(async () => {
    if (service) expect((await service.stop()).code).toBe(0);
    await sandbox?.close();
  });

  it('adds a handful of series for 1,000 invented task types and 1,000 invented models', async () => {
    sandbox = await startReferenceSandbox();
    sandbox.insertTasks([
      { type: 'text_embedding', content: 'a real task', ...CALLBACK },
      ...Array.from({ length: 1_000 }, (_, index) => ({
        type: `invented_type_${index}`,
        content: { text: 'x' },
        ...CALLBACK,
      })),
      ...Array.from({ length: 1_000 }, (_, index) => ({
        type: 'text_embedding',
        content: { text: 'x', model: `invented-model-${index}` },
        ...CALLBACK,
      })),
    ]);
    let baseUrl: string;
    ({ service, baseUrl } = await startServiceAgainst(sandbox, {
      env: {
        CONCURRENCY_LIMIT: '50',
        EMBEDDING_BATCH_WAIT_MS: '0',
        POLLING_INTERVAL_SECONDS: '1',
      },
    }));
    await waitUntil(
      () => {
        const { tasks } = sandbox.stats();
        return tasks.pending === 0 && tasks.in_progress === 0;
      },
      'every task is reported',
      { timeoutMs: 90_000, intervalMs: 200 },
    );
    const page = parseExposition(
      await (await fetch(`${baseUrl}/metrics`)).text(),
    );
    expect(sandbox.stats().tasks).toMatchObject({
      succeeded: 1_001,
      failed: 1_000,
    });
    for (const [metric, label] of PEER_LABELLED)
      expect(valuesOf(page, metric, label), metric).toEqual(
        label === 'task_type'
          ? new Set(['text_embedding', 'unknown'])
          : new Set(['text-embedding-3-small', 'other']),
      );
    const series = PEER_LABELLED.reduce(
      (sum, [metric]) => sum + samplesOf(page, metric).length,
      0,
    );
    // succeeded and failed per type, 2 types, 2 models, 2 token types.
    expect(series).toBeLessThanOrEqual(16);
  });
});
