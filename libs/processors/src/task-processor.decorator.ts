import type { Type } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { TaskProcessorHost } from './task-processor.js';

/** The metadata: the task types as the decorator names them. */
const TaskTypes = Reflector.createDecorator<readonly string[]>({
  key: 'processors:task-types',
});

/**
 * Declares a class the processor of the given task types, as @nestjs/bullmq's
 * `@Processor('queue')` declares a queue's worker:
 *
 *     @TaskProcessor('text_embedding', 'text-embedding')
 *     export class TextEmbeddingProcessor extends TaskProcessorHost { ... }
 *
 * The class must extend TaskProcessorHost and be listed in the `providers`
 * of a module of the application: the TASK_PROCESSORS factory finds it there,
 * in any module, and refuses to start when it does not extend the base.
 * Spellings differing only in `-`/`_` and case are one type
 * (canonicalTaskType).
 *
 * It only records metadata, as `@Processor()` does: the scope stays what an
 * `@Injectable()` says, if any (a processor must be a singleton, the
 * default), and being a decorator is enough for TypeScript to emit the
 * constructor's parameter types that injection needs.
 */
export function TaskProcessor(
  ...types: [string, ...string[]]
): (target: Type<TaskProcessorHost>) => void {
  const mark = TaskTypes(Object.freeze([...types]));
  return (target) => mark(target);
}

/** The task types `target` declares with `@TaskProcessor()`; undefined when it is not marked. */
export const declaredTaskTypes = (
  target: unknown,
): readonly string[] | undefined =>
  typeof target === 'function'
    ? new Reflector().get(TaskTypes, target)
    : undefined;
