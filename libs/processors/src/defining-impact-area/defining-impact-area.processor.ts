import { ServiceConfig } from '@app/config';
import { ChatProvider, ChatProviderError } from '../chat/chat-provider.js';
import { TaskProcessor } from '../task-processor.js';
import { cleanPhrase } from '../verification/phrases.js';
import { conversation } from '../verification/prompt.js';
import { VerificationContent } from '../verification/verification-content.js';
import { VerificationProcessor } from '../verification/verification-processor.js';
import { WikidataEnrichment } from '../verification/wikidata-enrichment.js';
import { DEFINING_IMPACT_AREA_PROMPT } from './defining-impact-area.prompt.js';
import { IMPACT_AREA_ANSWER } from './defining-impact-area.schema.js';

/** The language the server files areas in. */
const LANGUAGE = 'pt';

/**
 * `defining_impact_area`: the one area of society the claim affects, with
 * the Wikidata item it names (`null` when none matches).
 * Result: `{name, wikidataId, language}`.
 */
@TaskProcessor('defining_impact_area')
export class DefiningImpactAreaProcessor extends VerificationProcessor<VerificationContent> {
  protected readonly contentType = VerificationContent;
  protected readonly prompt = DEFINING_IMPACT_AREA_PROMPT;

  constructor(
    config: ServiceConfig,
    private readonly chat: ChatProvider,
    private readonly wikidata: WikidataEnrichment,
  ) {
    super(config);
  }

  protected override async verify(
    { text }: VerificationContent,
    model: string,
  ) {
    const { value } = await this.chat.complete({
      model,
      messages: conversation(this.prompt, text),
      schema: IMPACT_AREA_ANSWER,
      text,
    });
    const name = cleanPhrase(value.impactArea.name);
    if (name === '') {
      throw new ChatProviderError(
        'invalid_model_output',
        'the model named an empty impact area',
      );
    }
    return {
      name,
      wikidataId: await this.wikidata.findItemId(name, LANGUAGE),
      language: LANGUAGE,
    };
  }
}
