import type { TaskState } from './task.js';

/**
 * The transitions an API with conditional updates accepts. Anything else is
 * answered 409 when the sandbox enforces transitions (`conflictOnClaim`); the
 * reference application applies every update and answers 200.
 *
 * - pending -> in_progress: a claim. pending -> failed: a task refused
 *   without being worked on. pending -> pending: a repeated release, harmless.
 * - in_progress -> succeeded | failed: completion; -> pending: a release.
 * - succeeded and failed are final.
 */
export const ALLOWED_TRANSITIONS: Readonly<
  Record<TaskState, readonly TaskState[]>
> = {
  pending: ['in_progress', 'failed', 'pending'],
  in_progress: ['succeeded', 'failed', 'pending'],
  succeeded: [],
  failed: [],
};

export function isAllowedTransition(from: TaskState, to: TaskState): boolean {
  return ALLOWED_TRANSITIONS[from].includes(to);
}
