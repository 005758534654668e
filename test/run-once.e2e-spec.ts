import { type Sandbox, startReferenceSandbox } from './support/sandbox.js';
import { serviceEnvironment } from './support/service-against-sandbox.js';
import { SERVICE_ENTRY, startProcess } from './support/service-process.js';

const SUMMARY = /^(\d+) succeeded, (\d+) failed, (\d+) released in \d+\.\d s$/m;

describe('run once (--once, RUN_ONCE)', () => {
  let sandbox: Sandbox;

  beforeEach(async () => {
    sandbox = await startReferenceSandbox();
  });
  afterEach(async () => {
    await sandbox.close();
  });

  it('takes everything pending, prints the summary and exits 0', async () => {
    sandbox.seed(40);
    sandbox.insertTasks([
      { type: 'text_embedding', state: 'pending', content: { text: '' } },
    ]);
    const run = startProcess(
      SERVICE_ENTRY,
      serviceEnvironment(sandbox, {
        env: { METRICS_PORT: '0', CONCURRENCY_LIMIT: '10' },
      }),
      ['--once'],
    );
    expect(await run.exited).toEqual({ code: 0, signal: null });
    expect(SUMMARY.exec(run.stdout)?.slice(1, 4)).toEqual(['40', '1', '0']);
    expect(sandbox.stats().tasks).toMatchObject({
      succeeded: 40,
      failed: 1,
      pending: 0,
      in_progress: 0,
    });
  });

  it('exits 3 and leaves the tasks pending when the provider is down', async () => {
    sandbox.seed(12);
    sandbox.faults.error({ target: 'embeddings', status: 500 });
    const run = startProcess(
      SERVICE_ENTRY,
      serviceEnvironment(sandbox, {
        openaiCompatible: true,
        env: { METRICS_PORT: '0', RUN_ONCE: 'true', MAX_RETRIES: '0' },
      }),
    );
    expect(await run.exited).toEqual({ code: 3, signal: null });
    expect(SUMMARY.exec(run.stdout)?.slice(1, 4)).toEqual(['0', '0', '12']);
    expect(sandbox.stats().tasks).toMatchObject({
      pending: 12,
      failed: 0,
      in_progress: 0,
    });
  });
});
