import { ChatProviderError } from '../chat/chat-provider.js';
import { FAILURE_CODE } from '../failure-codes.js';
import type { ProcessingResult } from '../task-processor.js';
import { WikidataUnavailableError } from '../wikidata/wikidata-client.js';

/**
 * What a failed chat or Wikidata call means for the task: the task's fault
 * (the model refused it, could not answer it in the schema, ran out of
 * room, or does not exist) fails it; an outage or our refused key releases
 * it. Anything else is a bug, rethrown for ProcessorFailurePolicy.
 */
export function resultOfFailure(error: unknown): ProcessingResult {
  if (error instanceof WikidataUnavailableError) {
    return { kind: 'transient', reason: error.message };
  }
  if (!(error instanceof ChatProviderError)) throw error;
  switch (error.kind) {
    case 'model_refused':
      return failed(FAILURE_CODE.modelRefused, error.message);
    case 'invalid_model_output':
      return failed(FAILURE_CODE.invalidModelOutput, error.message);
    case 'output_truncated':
      return failed(FAILURE_CODE.outputTruncated, error.message);
    case 'text_too_long':
      return failed(FAILURE_CODE.textTooLong, error.message);
    case 'unknown_model':
      return failed(FAILURE_CODE.unknownModel, error.message);
    case 'key_refused':
    case 'unavailable':
      return { kind: 'transient', reason: error.message };
  }
}

const failed = (code: string, message: string): ProcessingResult => ({
  kind: 'failed',
  code,
  message,
});
