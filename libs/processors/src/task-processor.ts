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

export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/**
 * A success result, as the API receives it: a vector (docs/contract.md §1),
 * or the JSON object or array of another task type (§1a). A Float32Array is
 * sent at float32 precision, in fewer bytes.
 */
export type TaskResult = Float32Array | JsonValue;

/**
 * Every way processing can end. `transient` means the task is fine but the
 * work could not be done now (provider down, rate limited, our key refused):
 * the task is released, never failed.
 */
export type ProcessingResult =
  | {
      kind: 'succeeded';
      result: TaskResult;
      usage?: TokenUsage;
      /** Facts for the task's success log line: the prompt version, the model. */
      details?: Readonly<Record<string, string | number>>;
    }
  | { kind: 'failed'; code: string; message: string }
  | { kind: 'transient'; reason: string };

/**
 * The base class of every task processor, as @nestjs/bullmq's `WorkerHost`
 * is of every `@Processor()`. A class rather than an interface because
 * interfaces do not exist at run time: start-up checks that each class
 * marked `@TaskProcessor()` extends this one, and names it when it does not.
 */
export abstract class TaskProcessorHost {
  /**
   * Answers a result for every task it is given. Throwing is a bug: the task
   * is released, and failed after a few such throws (ProcessorFailurePolicy).
   */
  abstract process(task: ProcessableTask): Promise<ProcessingResult>;
}

// A processor's file needs the decorator with the rest: one import.
export { TaskProcessor } from './task-processor.decorator.js';
