/**
 * How a claimed task ended. Every path through the runner returns one, so
 * the compiler catches a claimed task that would be left `in_progress`.
 * `abandoned` is the API's doing, never ours: the task was deleted, or the
 * API refused every report about it, so it stays as the API has it.
 */
export type TaskOutcome =
  | { kind: 'succeeded' }
  | { kind: 'failed'; code: string }
  | { kind: 'released'; reason: string }
  | { kind: 'abandoned'; reason: string };

export type TaskOutcomeKind = TaskOutcome['kind'];

/** What became of one attempt to take a task. */
export type RunResult =
  | { kind: 'finished'; outcome: TaskOutcome }
  /** Another worker claimed it first (409). */
  | { kind: 'conflict' }
  /** The task was deleted after it was listed (the claim was redirected). */
  | { kind: 'gone' }
  /**
   * The claim itself did not go through; the task was never ours. `refused`
   * when the API answered it with a 4xx: asking again gets the same answer.
   */
  | { kind: 'not_claimed'; reason: string; refused: boolean };
