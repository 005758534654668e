import { ServiceConfig } from '@app/config';
import { ChatProvider } from '../chat/chat-provider.js';
import {
  TaskProcessor,
  TaskProcessorHost,
  type ProcessableTask,
  type ProcessingResult,
} from '../task-processor.js';
import { conversation } from '../verification/prompt.js';
import { checkVerificationContent } from '../verification/verification-content.js';
import { resultOfFailure } from '../verification/verification-failure.js';
import { WikidataEnrichment } from '../verification/wikidata-enrichment.js';
import { DEFINING_SEVERITY_PROMPT } from './defining-severity.prompt.js';
import { SEVERITY_ANSWER } from './defining-severity.schema.js';
import { SeverityContent } from './severity-content.js';
import { idsOf, severityMessage } from './severity-context.js';

/** The language of the Wikidata labels and descriptions given to the model. */
const LANGUAGE = 'pt';

/**
 * `defining_severity`: how harmful the claim would be if false, from
 * `critical` to `low_1`, judged on the text and on Wikidata's context for
 * the impact area, topics and people the other tasks found.
 * Result: `{severity}`.
 */
@TaskProcessor('defining_severity')
export class DefiningSeverityProcessor extends TaskProcessorHost {
  constructor(
    private readonly config: ServiceConfig,
    private readonly chat: ChatProvider,
    private readonly wikidata: WikidataEnrichment,
  ) {
    super();
  }

  override async process(task: ProcessableTask): Promise<ProcessingResult> {
    const check = checkVerificationContent(
      SeverityContent,
      task.content,
      this.config.chat.defaultModel,
    );
    if (check.kind === 'invalid') {
      return { kind: 'failed', code: check.code, message: check.message };
    }
    const { content } = check;
    try {
      const items = await this.wikidata.describe(idsOf(content), LANGUAGE);
      const { value } = await this.chat.complete({
        model: check.model,
        messages: conversation(
          DEFINING_SEVERITY_PROMPT,
          severityMessage(content, items),
        ),
        schema: SEVERITY_ANSWER,
        text: content.text,
      });
      return {
        kind: 'succeeded',
        result: { severity: value.severity },
        details: {
          prompt: DEFINING_SEVERITY_PROMPT.version,
          model: check.model,
        },
      };
    } catch (error) {
      return resultOfFailure(error);
    }
  }
}
