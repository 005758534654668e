/** What a processor needs of a task: the API client's `Task` fits. */
export interface ProcessableTask {
  id: string;
  type: string;
  content: unknown;
}

/**
 * Every way processing can end. `transient` means the task is fine but the
 * work could not be done now (provider down, rate limited, our key refused):
 * the task is released, never failed.
 */
export type ProcessingResult =
  | { status: 'succeeded'; result: number[] }
  | { status: 'failed'; code: string; message: string }
  | { status: 'transient'; reason: string };

/** A processor handles one or more task types. */
export interface TaskProcessor {
  readonly taskTypes: readonly string[];
  process(task: ProcessableTask): Promise<ProcessingResult>;
}
