import { ServiceConfig } from '@app/config';
import { ChatProvider } from '../chat/chat-provider.js';
import { TaskProcessor } from '../task-processor.js';
import { cleanPhrase, distinctBy } from '../verification/phrases.js';
import { conversation } from '../verification/prompt.js';
import { VerificationContent } from '../verification/verification-content.js';
import { VerificationProcessor } from '../verification/verification-processor.js';
import { WikidataEnrichment } from '../verification/wikidata-enrichment.js';
import { IDENTIFYING_DATA_PROMPT } from './identifying-data.prompt.js';
import {
  MAX_PERSONALITIES,
  type NamedPersonality,
  PERSONALITIES_ANSWER,
} from './identifying-data.schema.js';

/** People are looked up in the language of the texts, Wikidata falling back to others. */
const LANGUAGE = 'pt';
/** Longest `context` kept: one sentence. */
const MAX_CONTEXT_LENGTH = 500;

/**
 * `identifying_data`: the public people a text talks about, each matched to
 * a Wikidata item that is a human (P31 = Q5); a person with no such item is
 * left out. Result: `{personalities: [{name, mentioned_as, confidence,
 * context, wikidata: {id, url, label, description, aliases}}], model, usage}`.
 */
@TaskProcessor('identifying_data')
export class IdentifyingDataProcessor extends VerificationProcessor<VerificationContent> {
  protected readonly contentType = VerificationContent;
  protected readonly prompt = IDENTIFYING_DATA_PROMPT;

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
    const { value, usage } = await this.chat.complete({
      model,
      messages: conversation(this.prompt, text),
      schema: PERSONALITIES_ANSWER,
      text,
    });
    const matched = await Promise.all(
      this.named(value.personalities).map((person) => this.match(person)),
    );
    return {
      personalities: matched.filter((person) => person !== null),
      model,
      usage: {
        prompt_tokens: usage.promptTokens,
        completion_tokens: usage.completionTokens,
        total_tokens: usage.promptTokens + usage.completionTokens,
      },
    };
  }

  private named(
    personalities: readonly NamedPersonality[],
  ): NamedPersonality[] {
    const cleaned = personalities.map((person) => ({
      name: cleanPhrase(person.name),
      mentioned_as: cleanPhrase(person.mentioned_as),
      confidence: person.confidence,
      context: person.context.trim().slice(0, MAX_CONTEXT_LENGTH),
    }));
    return distinctBy(cleaned, ({ name }) => name).slice(0, MAX_PERSONALITIES);
  }

  private async match(person: NamedPersonality) {
    const item = await this.wikidata.findHuman(person.name, LANGUAGE);
    if (item === null) return null;
    const { id, url, label, description, aliases } = item;
    return { ...person, wikidata: { id, url, label, description, aliases } };
  }
}
