import { DiscoveryService } from '@nestjs/core';

/** What a processor needs of a task: the API client's `Task` fits. */
export interface ProcessableTask {
  id: string;
  type: string;
  content: unknown;
}

/** Provider tokens spent on one task: its share of the request it travelled in. */
export interface TokenUsage {
  promptTokens: number;
  totalTokens: number;
}

/**
 * A success result: the number array the API receives (docs/contract.md §1). A
 * Float32Array is sent at float32 precision, in fewer bytes.
 */
export type ResultVector = Float32Array | readonly number[];

/**
 * Every way processing can end. `transient` means the task is fine but the
 * work could not be done now (provider down, rate limited, our key refused):
 * the task is released, never failed.
 */
export type ProcessingResult =
  | { status: 'succeeded'; result: ResultVector; usage?: TokenUsage }
  | { status: 'failed'; code: string; message: string }
  | { status: 'transient'; reason: string };

/** A processor handles one or more task types. */
export interface TaskProcessor {
  /** Spellings differing only in `-`/`_` and case are the same type. */
  readonly taskTypes: readonly string[];
  /**
   * Answers a result for every task it is given. Throwing is a bug: the
   * registry releases the task, and fails it after a few such throws.
   */
  process(task: ProcessableTask): Promise<ProcessingResult>;
}

/**
 * Marks a provider class as a task processor: the registry finds every
 * provider so marked, in any module of the application, at start-up.
 *
 *     @Injectable()
 *     @RegisterTaskProcessor()
 *     export class ReverseTextProcessor implements TaskProcessor { ... }
 *
 * Nest has no multi-providers; this is its idiomatic stand-in
 * (`DiscoveryService.createDecorator`). See docs/extending.md.
 */
export const RegisterTaskProcessor = DiscoveryService.createDecorator<void>();
