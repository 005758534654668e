import { Inject, Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { FAILURE_CODE } from './failure-codes.js';
import { ProcessorFailurePolicy } from './processor-failure-policy.js';
import type { ProcessableTask, ProcessingResult } from './task-processor.js';
import { TASK_PROCESSORS } from './processors.constants.js';
import { assertSingletons, type TaskProcessorMap } from './task-processors.js';
import { canonicalTaskType } from './task-type.js';
import { SpendGate, type WorkPause } from './providers/spend-gate.js';

const RESULT_KINDS = new Set<unknown>(['succeeded', 'failed', 'transient']);
const isResult = (value: unknown): value is ProcessingResult =>
  typeof value === 'object' &&
  value !== null &&
  'kind' in value &&
  RESULT_KINDS.has(value.kind);

/**
 * Routes each task to the processor of its type (TASK_PROCESSORS), and
 * answers for it when there is none or it throws (ProcessorFailurePolicy).
 * `process` never throws.
 */
@Injectable()
export class ProcessorRegistry implements OnModuleInit {
  private readonly logger = new Logger(ProcessorRegistry.name);

  constructor(
    @Inject(TASK_PROCESSORS) private readonly processors: TaskProcessorMap,
    private readonly failures: ProcessorFailurePolicy,
    private readonly gate: SpendGate,
  ) {}

  /**
   * Whether tasks may be taken now: not while a spending budget is used up
   * (every type's work goes to a provider the budgets count). A task not
   * taken stays `pending`.
   */
  workPause(): WorkPause {
    return this.gate.workPause();
  }

  /** Every provider is built before any `onModuleInit` runs: scopes are known now. */
  onModuleInit(): void {
    assertSingletons(this.processors);
    const table = [...this.processors]
      .map(([type, processor]) => `${type} -> ${processor.name}`)
      .join(', ');
    this.logger.log(`task processors: ${table || 'none'}`);
  }

  /** The canonical task types some processor handles. */
  get taskTypes(): string[] {
    return [...this.processors.keys()];
  }

  handles(type: string): boolean {
    return this.processors.has(canonicalTaskType(type));
  }

  async process(task: ProcessableTask): Promise<ProcessingResult> {
    const processor = this.processors.get(canonicalTaskType(String(task.type)));
    if (!processor) {
      return {
        kind: 'failed',
        code: FAILURE_CODE.unsupportedTaskType,
        message: `no processor handles task type "${String(task.type)}" (this service handles: ${this.taskTypes.join(', ') || 'none'})`,
      };
    }
    try {
      const result: unknown = await processor.instance.process(task);
      if (!isResult(result)) {
        throw new TypeError(`${processor.name} answered no result`);
      }
      this.failures.answered(task);
      return result;
    } catch (error) {
      return this.failures.afterThrow(task, processor.name, error);
    }
  }
}
