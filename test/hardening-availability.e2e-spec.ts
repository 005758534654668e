import { seededRandom } from '../apps/sandbox/src/tasks/sample-texts.js';
import { waitUntil } from './support/eventually.js';
import { type Sandbox, startReferenceSandbox } from './support/sandbox.js';
import { startServiceAgainst } from './support/service-against-sandbox.js';
import type { RunningProcess } from './support/service-process.js';

/** Callback parameters the reference server's dispatcher accepts (docs/contract.md §1). */
const USABLE_CALLBACK_PARAMS = {
  targetId: '6650f1c2a1b2c3d4e5f60719',
  field: 'embedding',
};

/**
 * Lowercase letters without a single space: one piece for the tokenizer,
 * whose byte-pair merge is quadratic in the piece's length (100,000 letters
 * take seconds of CPU).
 */
function letterRun(length: number, seed: number): string {
  const random = seededRandom(seed);
  let text = '';
  for (let index = 0; index < length; index++)
    text += String.fromCharCode(97 + Math.floor(random() * 26));
  return text;
}

/**
 * Asks `/health` every 100 ms until stopped; an answer that is not 200, or
 * takes longer than a second, is a failure.
 */
class HealthProbes {
  answers = 0;
  readonly failures: string[] = [];
  private stopped = false;
  private readonly loop: Promise<void>;

  constructor(private readonly baseUrl: string) {
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
  }

  private async run(): Promise<void> {
    // Bounded: the test's own timeout ends long before 2,000 probes.
    for (let probe = 0; probe < 2_000 && !this.stopped; probe++) {
      const startedAt = Date.now();
      try {
        const answer = await fetch(`${this.baseUrl}/health`, {
          signal: AbortSignal.timeout(1_000),
        });
        await answer.body?.cancel();
        if (answer.status === 200) this.answers++;
        else this.failures.push(`probe ${probe}: ${answer.status}`);
      } catch (error) {
        this.failures.push(`probe ${probe}: ${String(error)}`);
      }
      const wait = 100 - (Date.now() - startedAt);
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    }
  }
}

describe('no single text freezes the service (built service against the sandbox)', () => {
  let sandbox: Sandbox;
  let service: RunningProcess | undefined;

  beforeEach(async () => {
    sandbox = await startReferenceSandbox();
  });
  afterEach(async () => {
    if (service) expect((await service.stop()).code).toBe(0);
    service = undefined;
    await sandbox.close();
  });

  it('answers /health within a second throughout while texts of 100,000 to 1,000,000 characters without spaces are measured', async () => {
    const long = sandbox.insertTasks(
      [
        letterRun(100_000, 1),
        letterRun(150_000, 2),
        'a'.repeat(200_000),
        // Hours of merging for the tokenizer; still under the API client's
        // 1 MiB cap on a task document.
        letterRun(1_000_000, 3),
      ].map((text) => ({
        type: 'text_embedding',
        state: 'pending',
        content: { text, model: 'text-embedding-3-small' },
        callbackRoute: 'verification_update_embedding',
        callbackParams: USABLE_CALLBACK_PARAMS,
      })),
    );
    const normal = sandbox.seed(20);
    const started = await startServiceAgainst(sandbox, {
      env: { CONCURRENCY_LIMIT: '8', POLLING_INTERVAL_SECONDS: '1' },
    });
    service = started.service;
    const health = new HealthProbes(started.baseUrl);
    try {
      await waitUntil(
        () =>
          sandbox.stats().tasks.pending === 0 &&
          sandbox.stats().tasks.in_progress === 0,
        'every task has ended',
        { timeoutMs: 90_000 },
      );
    } finally {
      await health.stop();
    }

    expect(health.failures).toEqual([]);
    expect(health.answers).toBeGreaterThan(0);
    for (const task of long) {
      const view = sandbox.task(String(task._id));
      expect(view).toMatchObject({
        state: 'failed',
        error: { code: 'text_too_long' },
      });
    }
    for (const task of normal)
      expect(sandbox.task(String(task._id))).toMatchObject({
        state: 'succeeded',
      });
  });
});
