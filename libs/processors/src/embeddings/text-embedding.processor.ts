import { FAILURE_CODE } from '../failure-codes.js';
import {
  TaskProcessor,
  TaskProcessorHost,
  type ProcessableTask,
  type ProcessingResult,
} from '../task-processor.js';
import { checkEmbeddingContent } from './embedding-content.js';
import { EmbeddingBatcher } from './embedding-batcher.js';
import { EmbeddingProviderError } from './embedding-provider.js';
import { TokenCounter } from './token-counter.js';

/**
 * `text_embedding` tasks (`text-embedding` in older deployments): validated
 * before any call, then embedded in a batch with other tasks of the same
 * model and dimensions.
 */
@TaskProcessor('text_embedding', 'text-embedding')
export class TextEmbeddingProcessor extends TaskProcessorHost {
  constructor(
    private readonly batcher: EmbeddingBatcher,
    private readonly tokens: TokenCounter,
  ) {
    super();
  }

  override async process(task: ProcessableTask): Promise<ProcessingResult> {
    const check = await checkEmbeddingContent(task.content, this.tokens);
    if (check.kind === 'invalid') {
      return { kind: 'failed', code: check.code, message: check.message };
    }
    const { text, tokens, model, dimensions } = check.input;
    const outcome = await this.batcher.embed(
      { model, dimensions },
      { text, tokens },
    );
    if (outcome.kind === 'embedded') {
      return {
        kind: 'succeeded',
        result: outcome.vector,
        usage: outcome.usage,
      };
    }
    const { error } = outcome;
    // Anything else is a bug: ProcessorFailurePolicy decides.
    if (!(error instanceof EmbeddingProviderError)) throw error;
    switch (error.kind) {
      case 'input_rejected':
        return {
          kind: 'failed',
          code: FAILURE_CODE.providerRejectedInput,
          message: error.message,
        };
      case 'unknown_model':
        return {
          kind: 'failed',
          code: FAILURE_CODE.unknownModel,
          message: error.message,
        };
      case 'unsupported_dimensions':
        return {
          kind: 'failed',
          code: FAILURE_CODE.unsupportedDimensions,
          message: error.message,
        };
      case 'key_refused':
      case 'unavailable':
        return { kind: 'transient', reason: error.message };
    }
  }
}
