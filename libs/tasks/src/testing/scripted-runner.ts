import type { WorkPause } from '@app/processors';
import type { RunResult, TaskOutcome } from '../task-outcome.js';
import type { TaskRunner } from '../task-runner.js';
import { type TakenTask, idOf } from '../taken-task.js';
import type { FakeTasksApiClient } from './fake-tasks-api-client.js';
import { settle } from './manual-clock.js';

/**
 * Stands in for the TaskRunner: claims through the fake API, then runs
 * until the test ends the task, or gives it back when the poller aborts.
 */
export class ScriptedRunner {
  /** Every task started, with the cycle its log lines would carry. */
  readonly started: { id: string; cycle: number }[] = [];
  private readonly open = new Map<string, (result: RunResult) => void>();

  /** What `workPause()` answers: set it to pause the poller as a used-up budget would. */
  pause: WorkPause = { kind: 'open' };

  constructor(private readonly api: FakeTasksApiClient) {}

  workPause(): WorkPause {
    return this.pause;
  }

  /** The poller's view: it injects a TaskRunner. */
  asTaskRunner(): TaskRunner {
    return this as unknown as TaskRunner;
  }

  /** Ids of the tasks claimed and not ended, oldest first. */
  get running(): string[] {
    return [...this.open.keys()];
  }

  async run(
    taken: TakenTask,
    cycle: number,
    abort: AbortSignal,
  ): Promise<RunResult> {
    const id = idOf(taken);
    this.started.push({ id, cycle });
    if ((await this.api.claim(id)) === 'conflict') return { kind: 'conflict' };
    return new Promise((resolve) => {
      const onAbort = () => {
        void this.end(id, {
          kind: 'finished',
          outcome: { kind: 'released', reason: 'shutdown' },
        });
      };
      this.open.set(id, (result) => {
        abort.removeEventListener('abort', onAbort);
        this.open.delete(id);
        resolve(result);
      });
      if (abort.aborted) onAbort();
      else abort.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Ends a running task with `outcome`, reported to the fake API as the runner would. */
  finish(
    id: string,
    outcome: TaskOutcome = { kind: 'succeeded' },
  ): Promise<void> {
    return this.end(id, { kind: 'finished', outcome });
  }

  /** Ends every running task as succeeded. */
  async finishAll(): Promise<void> {
    for (const id of this.running) await this.finish(id);
  }

  /** Ends a running task with any result, e.g. `gone`, and lets the poller see it. */
  async end(id: string, result: RunResult): Promise<void> {
    const resolve = this.open.get(id);
    if (!resolve) throw new Error(`task ${id} is not running`);
    if (result.kind === 'finished') {
      const report = {
        succeeded: () => this.api.complete(id),
        failed: () => this.api.fail(id),
        released: () => this.api.release(id),
        abandoned: () => Promise.resolve(),
      }[result.outcome.kind];
      await report();
    }
    resolve(result);
    await settle();
  }
}
