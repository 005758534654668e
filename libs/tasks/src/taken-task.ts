import type { Task } from '@app/api-client';

/** A task to take: a valid one, or an invalid page entry that has an id and will be failed. */
export type TakenTask =
  | { kind: 'valid'; task: Task }
  | { kind: 'invalid'; id: string; reasons: string[] };

export const idOf = (taken: TakenTask): string =>
  taken.kind === 'valid' ? taken.task.id : taken.id;
