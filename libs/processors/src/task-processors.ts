import type { FactoryProvider } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { declaredTaskTypes } from './task-processor.decorator.js';
import { TaskProcessorHost } from './task-processor.js';
import { canonicalTaskType } from './task-type.js';
import { TASK_PROCESSORS } from './processors.constants.js';

/** One processor of the map. */
export interface TaskProcessorRef {
  /** Its class's name, for logs and messages. */
  readonly name: string;
  /** The instance the application built, which tasks are handed to. */
  readonly instance: TaskProcessorHost;
  /**
   * False for a request-scoped or transient processor, or one that a
   * request-scoped dependency makes so. Ask only once every provider is
   * built: Nest learns the dependencies while building them.
   */
  readonly isSingleton: boolean;
}

/** Canonical task type -> its processor, ordered by type. */
export type TaskProcessorMap = ReadonlyMap<string, TaskProcessorRef>;

/** A processor declaration start-up refuses; the message names the class. */
export class InvalidTaskProcessorError extends Error {
  override readonly name = 'InvalidTaskProcessorError';
}

type ProviderWrapper = ReturnType<DiscoveryService['getProviders']>[number];

/**
 * Nest builds the providers of all modules concurrently, so when the factory
 * runs a processor may not be built yet, and what Nest's handle holds then is
 * a placeholder it later replaces. The ref therefore keeps the handle and
 * reads the instance when a task comes, after start-up has built it.
 */
class DiscoveredProcessor implements TaskProcessorRef {
  constructor(
    readonly name: string,
    private readonly wrapper: ProviderWrapper,
  ) {}

  get instance(): TaskProcessorHost {
    return this.wrapper.instance as TaskProcessorHost;
  }

  // Nest keeps its first answer: asked before the build, it would be wrong
  // for Nest too. The registry asks in onModuleInit.
  get isSingleton(): boolean {
    return this.wrapper.isDependencyTreeStatic() && !this.wrapper.isTransient;
  }
}

/**
 * The class a provider declares before it is built: a class provider's (also
 * `useClass`), or a `useValue` provider's value's. A factory's product is
 * known only once built, too late for this factory, so a processor is
 * provided as a class.
 */
function classOf(wrapper: ProviderWrapper): unknown {
  if (wrapper.inject) return undefined;
  return (
    wrapper.metatype ??
    (wrapper.instance as object | null | undefined)?.constructor
  );
}

function checkClass(target: { name: string; prototype: unknown }): void {
  if (!(target.prototype instanceof TaskProcessorHost)) {
    throw new InvalidTaskProcessorError(
      `${target.name} is marked @TaskProcessor() but does not extend TaskProcessorHost`,
    );
  }
  if (typeof (target.prototype as TaskProcessorHost).process !== 'function') {
    throw new InvalidTaskProcessorError(
      `${target.name} is marked @TaskProcessor() but has no process(task) method`,
    );
  }
}

/**
 * Every provider marked `@TaskProcessor()`, in any module of the application,
 * by canonical task type. Refuses a marked class that is not a processor and
 * a type claimed by two classes: the service does not start half-wired.
 *
 * It looks at every provider's class rather than asking for the marked ones
 * (`getProviders({ metadataKey })`, with `DiscoveryService.createDecorator`):
 * Nest lists a provider under its marks only once it is built, and a factory
 * runs while the application is still being built.
 */
export function discoverTaskProcessors(
  discovery: DiscoveryService,
): TaskProcessorMap {
  const routes = new Map<string, TaskProcessorRef>();
  for (const wrapper of discovery.getProviders()) {
    const target = classOf(wrapper);
    const types = declaredTaskTypes(target);
    if (!types) continue;
    const { name } = target as { name: string; prototype: unknown };
    checkClass(target as { name: string; prototype: unknown });
    const processor = new DiscoveredProcessor(name, wrapper);
    // A class may name one type in several spellings.
    for (const type of new Set(types.map(canonicalTaskType))) {
      if (!type) {
        throw new InvalidTaskProcessorError(
          `${name} is marked @TaskProcessor() with an empty task type`,
        );
      }
      const existing = routes.get(type);
      if (existing) {
        const [first, second] = [existing.name, name].sort();
        throw new InvalidTaskProcessorError(
          `task type "${type}" is claimed by both ${first} and ${second}`,
        );
      }
      routes.set(type, processor);
    }
  }
  return new Map([...routes].sort(([a], [b]) => a.localeCompare(b)));
}

/**
 * Refuses request-scoped and transient processors: the registry hands every
 * task to one shared instance. Run once start-up has built every provider,
 * the first moment Nest knows a processor's scope for certain.
 */
export function assertSingletons(processors: TaskProcessorMap): void {
  for (const processor of new Set(processors.values())) {
    if (!processor.isSingleton) {
      throw new InvalidTaskProcessorError(
        `task processor ${processor.name} must be a singleton (default scope), not request-scoped or transient`,
      );
    }
  }
}

/** TASK_PROCESSORS, built from what Nest's DiscoveryService finds. */
export const taskProcessorsProvider: FactoryProvider<TaskProcessorMap> = {
  provide: TASK_PROCESSORS,
  inject: [DiscoveryService],
  useFactory: discoverTaskProcessors,
};
