import { ServiceConfig } from '@app/config';
import {
  TaskProcessorHost,
  type ProcessableTask,
  type ProcessingResult,
  type TaskResult,
} from '../task-processor.js';
import type { Prompt } from './prompt.js';
import {
  type VerificationContent,
  checkVerificationContent,
} from './verification-content.js';
import { resultOfFailure } from './verification-failure.js';

/**
 * What every verification task type does around its own work: the content
 * checked before any call (`invalid_content`, `text_too_long`), the model
 * chosen, and every failure of the model or of Wikidata turned into the
 * task's answer (`resultOfFailure`). A type says only how its result is
 * found (`verify`).
 */
export abstract class VerificationProcessor<
  C extends VerificationContent,
> extends TaskProcessorHost {
  /** The class-validator DTO of the type's content. */
  protected abstract readonly contentType: new () => C;
  /** The prompt the type asks with; its version goes on the success's log line. */
  protected abstract readonly prompt: Prompt;

  constructor(private readonly config: ServiceConfig) {
    super();
  }

  override async process(task: ProcessableTask): Promise<ProcessingResult> {
    const check = checkVerificationContent(
      this.contentType,
      task.content,
      this.config.chat.defaultModel,
    );
    if (check.kind === 'invalid') {
      return { kind: 'failed', code: check.code, message: check.message };
    }
    try {
      return {
        kind: 'succeeded',
        result: await this.verify(check.content, check.model),
        details: { prompt: this.prompt.version, model: check.model },
      };
    } catch (error) {
      return resultOfFailure(error);
    }
  }

  /**
   * The task's result.
   * @throws ChatProviderError, WikidataUnavailableError
   */
  protected abstract verify(content: C, model: string): Promise<TaskResult>;
}
