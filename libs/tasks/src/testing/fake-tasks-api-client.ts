import {
  type ClaimResult,
  type RejectedTask,
  type Task,
  type TaskPage,
  type TaskState,
  TasksApiClient,
  TasksApiError,
} from '@app/api-client';

/** Polls or breaker checks at one instant beyond which a poller is taken to be spinning. */
const SPIN_LIMIT = 100;

/** A valid pending task with this id. */
export const pendingTask = (id: string): Task => ({
  id,
  type: 'text_embedding',
  state: 'pending',
  content: { text: `text of ${id}` },
  createdAt: new Date(0),
  updatedAt: new Date(0),
});

/** A page answer: tasks by id, then rejected entries. */
export const pageOf = (
  ids: readonly string[],
  rejected: RejectedTask[] = [],
): TaskPage => ({ tasks: ids.map(pendingTask), rejected });

/**
 * The tasks API in memory: tasks move between states as the real one moves
 * them, `/pending` lists pending tasks oldest first, and a test can script
 * the next answers, hold polls, or open the breaker.
 */
export class FakeTasksApiClient extends TasksApiClient {
  /** The `limit` of every `/pending` call, in order. */
  readonly polls: number[] = [];
  breakerOpen = false;
  /** How often `isBreakerOpen` was asked. */
  breakerChecks = 0;
  /**
   * Set when `/pending` or the breaker was asked more than SPIN_LIMIT times
   * at one instant: a poller spinning. The fake then closes the breaker and
   * leaves that poll unanswered, so that the loop ends and the test fails
   * rather than hangs.
   */
  spinDetected = false;
  private readonly callsNow = new Map<string, { at: number; count: number }>();
  private readonly tasks = new Map<string, Task>();
  private readonly answers: (TaskPage | Error)[] = [];
  private held: (() => void)[] | undefined;
  private lastSuccess: number | undefined;

  constructor(private readonly now: () => number = () => Date.now()) {
    super();
  }

  /** Adds pending tasks, in this order. */
  addPending(...ids: string[]): void {
    for (const id of ids) this.tasks.set(id, pendingTask(id));
  }

  stateOf(id: string): TaskState | undefined {
    return this.tasks.get(id)?.state;
  }

  /** The next `/pending` calls answer these (an Error is thrown) instead of the store's tasks. */
  answerNext(...answers: (TaskPage | Error)[]): void {
    this.answers.push(...answers);
  }

  /** The next `count` polls fail as an outage. */
  failPolls(count: number): void {
    for (let i = 0; i < count; i++)
      this.answerNext(new TasksApiError('tasks API unavailable', 'outage'));
  }

  /** Polls wait, unanswered, until `answerHeldPolls`. */
  holdPolls(): void {
    this.held ??= [];
  }

  answerHeldPolls(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const answer of held) answer();
  }

  async fetchPending(limit: number): Promise<TaskPage> {
    this.polls.push(limit);
    if (this.spinning('fetchPending')) return new Promise(() => {});
    if (this.held)
      await new Promise<void>((resolve) => this.held!.push(resolve));
    const answer = this.answers.shift();
    if (answer instanceof Error) throw answer;
    const page = answer ?? {
      tasks: [...this.tasks.values()].filter(
        ({ state }) => state === 'pending',
      ),
      rejected: [],
    };
    this.answered();
    // As the real client: at most `limit` entries, tasks first.
    const tasks = page.tasks.slice(0, limit);
    return {
      tasks,
      rejected: page.rejected.slice(0, limit - tasks.length),
    };
  }

  listByState(state: TaskState): Promise<TaskPage> {
    this.answered();
    return Promise.resolve({
      tasks: [...this.tasks.values()].filter((task) => task.state === state),
      rejected: [],
    });
  }

  /** A task the store does not hold (from a scripted page) is claimed as it is. */
  claim(id: string): Promise<ClaimResult> {
    const task = this.tasks.get(id) ?? pendingTask(id);
    if (task.state !== 'pending') return Promise.resolve('conflict');
    this.tasks.set(id, task);
    this.move(id, 'in_progress');
    return Promise.resolve('claimed');
  }

  complete(id: string): Promise<void> {
    this.move(id, 'succeeded');
    return Promise.resolve();
  }

  fail(id: string): Promise<void> {
    this.move(id, 'failed');
    return Promise.resolve();
  }

  release(id: string): Promise<void> {
    this.move(id, 'pending');
    return Promise.resolve();
  }

  isBreakerOpen(): boolean {
    this.breakerChecks++;
    if (this.spinning('isBreakerOpen')) this.breakerOpen = false;
    return this.breakerOpen;
  }

  lastSuccessAt(): number | undefined {
    return this.lastSuccess;
  }

  private move(id: string, state: TaskState): void {
    const task = this.tasks.get(id);
    if (task)
      this.tasks.set(id, { ...task, state, updatedAt: new Date(this.now()) });
    this.answered();
  }

  private spinning(call: string): boolean {
    const at = this.now();
    const before = this.callsNow.get(call);
    const count = before?.at === at ? before.count + 1 : 1;
    this.callsNow.set(call, { at, count });
    if (count > SPIN_LIMIT) this.spinDetected = true;
    return count > SPIN_LIMIT;
  }

  private answered(): void {
    this.lastSuccess = this.now();
  }
}
