import { waitUntil } from './support/eventually.js';
import { type Sandbox, startReferenceSandbox } from './support/sandbox.js';
import { startServiceAgainst } from './support/service-against-sandbox.js';

describe('graceful shutdown (built service against the sandbox)', () => {
  let sandbox: Sandbox;

  beforeEach(async () => {
    sandbox = await startReferenceSandbox();
  });
  afterEach(async () => {
    await sandbox.close();
  });

  it('releases what cannot finish within SHUTDOWN_TIMEOUT_SECONDS, exits 0, leaves nothing in progress', async () => {
    sandbox.seed(30);
    sandbox.updateSwitches({ embeddingsLatencyMs: 20_000 });
    const { service } = await startServiceAgainst(sandbox, {
      openaiCompatible: true,
      env: {
        CONCURRENCY_LIMIT: '8',
        SHUTDOWN_TIMEOUT_SECONDS: '1',
        OPENAI_TIMEOUT: '60',
      },
    });
    await waitUntil(
      () => sandbox.stats().tasks.in_progress === 8,
      '8 tasks are in flight',
    );

    const signalledAt = Date.now();
    const exit = await service.stop('SIGTERM', 10_000);
    expect(exit).toEqual({ code: 0, signal: null });
    // 1 s of grace, then the releases: well within the 10 s a supervisor would wait.
    expect(Date.now() - signalledAt).toBeLessThan(8_000);

    const stats = sandbox.stats();
    expect(stats.tasks).toMatchObject({
      in_progress: 0,
      pending: 30,
      failed: 0,
    });
    expect(stats.releases).toBe(8);
    expect(service.stdout).toContain(
      'released: shutdown before the work finished',
    );
  });

  it('lets in-flight tasks finish within the grace period, and claims nothing new', async () => {
    sandbox.seed(30);
    sandbox.updateSwitches({ embeddingsLatencyMs: 1_500 });
    const { service } = await startServiceAgainst(sandbox, {
      openaiCompatible: true,
      env: {
        CONCURRENCY_LIMIT: '5',
        PREFETCH_LIMIT: '0',
        SHUTDOWN_TIMEOUT_SECONDS: '20',
      },
    });
    await waitUntil(
      () => sandbox.stats().tasks.in_progress === 5,
      '5 tasks are in flight',
    );

    expect(await service.stop('SIGTERM', 15_000)).toEqual({
      code: 0,
      signal: null,
    });
    const stats = sandbox.stats();
    expect(stats.tasks).toMatchObject({
      succeeded: 5,
      in_progress: 0,
      pending: 25,
    });
    expect(stats.releases).toBe(0);
    expect(stats.claims).toBe(5);
  });

  it('on a second signal, releases at once instead of waiting out the grace period', async () => {
    sandbox.seed(10);
    sandbox.updateSwitches({ embeddingsLatencyMs: 20_000 });
    const { service } = await startServiceAgainst(sandbox, {
      openaiCompatible: true,
      env: {
        CONCURRENCY_LIMIT: '4',
        SHUTDOWN_TIMEOUT_SECONDS: '60',
        OPENAI_TIMEOUT: '60',
      },
    });
    await waitUntil(
      () => sandbox.stats().tasks.in_progress === 4,
      '4 tasks are in flight',
    );

    const signalledAt = Date.now();
    service.child.kill('SIGTERM');
    await service.waitForLog((record) =>
      String(record.msg).startsWith('shutting down: waiting'),
    );
    expect(await service.stop('SIGINT', 10_000)).toEqual({
      code: 0,
      signal: null,
    });
    expect(Date.now() - signalledAt).toBeLessThan(10_000);
    expect(sandbox.stats().tasks).toMatchObject({
      in_progress: 0,
      pending: 10,
    });
    expect(sandbox.stats().releases).toBe(4);
  });
});
