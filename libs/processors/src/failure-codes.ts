/**
 * The stable `error.code` values the built-in processors and the registry
 * report for a failed task. Each one means the task itself is bad and
 * retrying it cannot help; docs/processors.md explains every code.
 */
export const FAILURE_CODE = {
  /** No registered processor handles the task's type. */
  unsupportedTaskType: 'unsupported_task_type',
  /** The content is missing, of the wrong shape, or its text is blank. */
  invalidContent: 'invalid_content',
  /** `dimensions` for a model that cannot shorten its vectors, or above its size. */
  unsupportedDimensions: 'unsupported_dimensions',
  /** The text is longer than the model's input limit, in tokens. */
  textTooLong: 'text_too_long',
  /** The provider refused this input (400/413/422), isolated from its batch. */
  providerRejectedInput: 'provider_rejected_input',
  /** The provider does not know the model the task names. */
  unknownModel: 'unknown_model',
  /** The chat model declined to answer (a refusal, or its content filter). */
  modelRefused: 'model_refused',
  /** The chat model's answer did not match the schema asked for, twice. */
  invalidModelOutput: 'invalid_model_output',
  /** The chat model's answer was cut off before it was complete. */
  outputTruncated: 'output_truncated',
  /** The processor threw unexpectedly on every one of several attempts. */
  processorError: 'processor_error',
} as const;
