import { ServiceConfig } from '@app/config';
import { ChatProvider } from '../chat/chat-provider.js';
import { TaskProcessor } from '../task-processor.js';
import { cleanPhrase, distinctBy } from '../verification/phrases.js';
import { conversation } from '../verification/prompt.js';
import { VerificationContent } from '../verification/verification-content.js';
import { VerificationProcessor } from '../verification/verification-processor.js';
import { WikidataEnrichment } from '../verification/wikidata-enrichment.js';
import { DEFINING_TOPICS_PROMPT } from './defining-topics.prompt.js';
import { MAX_TOPICS, TOPICS_ANSWER } from './defining-topics.schema.js';

/** The language the server files topics in. */
const LANGUAGE = 'pt';

/**
 * `defining_topics`: the topics of the text, in Portuguese, each with the
 * Wikidata item it names (`null` when none matches).
 * Result: `[{name, wikidataId, language}]`.
 */
@TaskProcessor('defining_topics')
export class DefiningTopicsProcessor extends VerificationProcessor<VerificationContent> {
  protected readonly contentType = VerificationContent;
  protected readonly prompt = DEFINING_TOPICS_PROMPT;

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
      schema: TOPICS_ANSWER,
      text,
    });
    const names = distinctBy(
      value.topics.map(({ name }) => cleanPhrase(name)),
      (name) => name,
    ).slice(0, MAX_TOPICS);
    return Promise.all(
      names.map(async (name) => ({
        name,
        wikidataId: await this.wikidata.findItemId(name, LANGUAGE),
        language: LANGUAGE,
      })),
    );
  }
}
