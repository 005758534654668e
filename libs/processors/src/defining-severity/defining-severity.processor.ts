import { ServiceConfig } from '@app/config';
import { ChatProvider } from '../chat/chat-provider.js';
import { TaskProcessor } from '../task-processor.js';
import { conversation } from '../verification/prompt.js';
import { VerificationProcessor } from '../verification/verification-processor.js';
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
export class DefiningSeverityProcessor extends VerificationProcessor<SeverityContent> {
  protected readonly contentType = SeverityContent;
  protected readonly prompt = DEFINING_SEVERITY_PROMPT;

  constructor(
    config: ServiceConfig,
    private readonly chat: ChatProvider,
    private readonly wikidata: WikidataEnrichment,
  ) {
    super(config);
  }

  protected override async verify(content: SeverityContent, model: string) {
    const items = await this.wikidata.describe(idsOf(content), LANGUAGE);
    const { value } = await this.chat.complete({
      model,
      messages: conversation(this.prompt, severityMessage(content, items)),
      schema: SEVERITY_ANSWER,
      text: content.text,
    });
    return { severity: value.severity };
  }
}
