import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { DiscoveryService } from '@nestjs/core';
import { FAILURE_CODE } from './failure-codes.js';
import {
  RegisterTaskProcessor,
  type ProcessableTask,
  type ProcessingResult,
  type TaskProcessor,
} from './task-processor.js';
import { canonicalTaskType } from './task-type.js';
import {
  StrikeCounter,
  describeError,
  looksLikeOutage,
} from './unexpected-errors.js';

/** Unexpected throws for one task before it is failed rather than released. */
export const UNEXPECTED_ERROR_ATTEMPTS = 3;
const REMEMBERED_TASKS = 10_000;

const isProcessor = (value: unknown): value is TaskProcessor =>
  typeof value === 'object' &&
  value !== null &&
  Array.isArray((value as TaskProcessor).taskTypes) &&
  typeof (value as TaskProcessor).process === 'function';

const STATUSES = new Set(['succeeded', 'failed', 'transient']);
const isResult = (value: unknown): value is ProcessingResult =>
  typeof value === 'object' &&
  value !== null &&
  STATUSES.has((value as { status?: string }).status ?? '');

const nameOf = (processor: TaskProcessor): string =>
  processor.constructor?.name ?? 'anonymous processor';

/**
 * The factory of the strategy pattern: finds every provider marked
 * `@RegisterTaskProcessor()`, in any module of the application, and routes
 * each task to the one that handles its type. `process` never throws.
 */
@Injectable()
export class ProcessorRegistry implements OnModuleInit {
  private readonly logger = new Logger(ProcessorRegistry.name);
  private readonly routes = new Map<string, TaskProcessor>();
  private readonly strikes = new StrikeCounter(REMEMBERED_TASKS);

  constructor(private readonly discovery: DiscoveryService) {}

  /** Every instance is built before any `onModuleInit` runs, so all processors are found. */
  onModuleInit(): void {
    for (const processor of this.discover()) this.add(processor);
    const table = [...this.routes]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([type, processor]) => `${type} -> ${nameOf(processor)}`)
      .join(', ');
    this.logger.log(`task processors: ${table || 'none'}`);
  }

  /** The canonical task types some processor handles. */
  get taskTypes(): string[] {
    return [...this.routes.keys()];
  }

  handles(type: string): boolean {
    return this.routes.has(canonicalTaskType(type));
  }

  async process(task: ProcessableTask): Promise<ProcessingResult> {
    const type = canonicalTaskType(String(task.type));
    const processor = this.routes.get(type);
    if (!processor) {
      return {
        status: 'failed',
        code: FAILURE_CODE.unsupportedTaskType,
        message: `no processor handles task type "${String(task.type)}" (this service handles: ${this.taskTypes.join(', ') || 'none'})`,
      };
    }
    try {
      const result: unknown = await processor.process(task);
      if (!isResult(result)) {
        throw new TypeError(`${nameOf(processor)} answered no result`);
      }
      this.strikes.clear(task.id);
      return result;
    } catch (error) {
      return this.afterThrow(task, processor, error);
    }
  }

  /**
   * A throw is either an outage that escaped the processor (released, never
   * failed) or a bug: released the first times in case it was a passing
   * condition, failed on the last so it cannot loop forever.
   */
  private afterThrow(
    task: ProcessableTask,
    processor: TaskProcessor,
    error: unknown,
  ): ProcessingResult {
    const what = `${nameOf(processor)} threw on task ${task.id}`;
    // Every line about a task carries its id as a field, for log queries.
    const fields = { taskId: task.id };
    if (looksLikeOutage(error)) {
      this.logger.warn(fields, `${what}: ${describeError(error)} (released)`);
      return { status: 'transient', reason: describeError(error) };
    }
    const attempts = this.strikes.add(task.id);
    this.logger.error(
      {
        ...fields,
        err: error instanceof Error ? error : new Error(String(error)),
      },
      `${what} (attempt ${attempts} of ${UNEXPECTED_ERROR_ATTEMPTS})`,
    );
    if (attempts < UNEXPECTED_ERROR_ATTEMPTS) {
      return {
        status: 'transient',
        reason: `unexpected error, attempt ${attempts} of ${UNEXPECTED_ERROR_ATTEMPTS}: ${describeError(error)}`,
      };
    }
    this.strikes.clear(task.id);
    return {
      status: 'failed',
      code: FAILURE_CODE.processorError,
      message: `processing failed unexpectedly ${attempts} times; last error: ${describeError(error)}`,
    };
  }

  private discover(): unknown[] {
    return this.discovery
      .getProviders({ metadataKey: RegisterTaskProcessor.KEY })
      .map((wrapper) => {
        if (!wrapper.isDependencyTreeStatic() || wrapper.isTransient) {
          throw new Error(
            `task processor ${String(wrapper.name)} must be a singleton (default scope), not request-scoped or transient`,
          );
        }
        return wrapper.instance as unknown;
      });
  }

  private add(candidate: unknown): void {
    if (!isProcessor(candidate)) {
      throw new Error(
        `${nameOf(candidate as TaskProcessor)} is marked @RegisterTaskProcessor() but is not a TaskProcessor (it needs taskTypes and process)`,
      );
    }
    for (const type of candidate.taskTypes.map(canonicalTaskType)) {
      const existing = this.routes.get(type);
      if (existing && existing !== candidate) {
        const [first, second] = [nameOf(existing), nameOf(candidate)].sort();
        throw new Error(
          `task type "${type}" is claimed by both ${first} and ${second}`,
        );
      }
      this.routes.set(type, candidate);
    }
  }
}
