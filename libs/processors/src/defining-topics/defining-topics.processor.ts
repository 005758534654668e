import { ServiceConfig } from '@app/config';
import { ChatProvider } from '../chat/chat-provider.js';
import {
  TaskProcessor,
  TaskProcessorHost,
  type ProcessableTask,
  type ProcessingResult,
} from '../task-processor.js';
import { cleanPhrase, distinctBy } from '../verification/phrases.js';
import { conversation } from '../verification/prompt.js';
import {
  VerificationContent,
  checkVerificationContent,
} from '../verification/verification-content.js';
import { resultOfFailure } from '../verification/verification-failure.js';
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
export class DefiningTopicsProcessor extends TaskProcessorHost {
  constructor(
    private readonly config: ServiceConfig,
    private readonly chat: ChatProvider,
    private readonly wikidata: WikidataEnrichment,
  ) {
    super();
  }

  override async process(task: ProcessableTask): Promise<ProcessingResult> {
    const check = checkVerificationContent(
      VerificationContent,
      task.content,
      this.config.chat.defaultModel,
    );
    if (check.kind === 'invalid') {
      return { kind: 'failed', code: check.code, message: check.message };
    }
    const { text } = check.content;
    try {
      const { value } = await this.chat.complete({
        model: check.model,
        messages: conversation(DEFINING_TOPICS_PROMPT, text),
        schema: TOPICS_ANSWER,
        text,
      });
      const names = distinctBy(
        value.topics.map(({ name }) => cleanPhrase(name)),
        (name) => name,
      ).slice(0, MAX_TOPICS);
      const topics = await Promise.all(
        names.map(async (name) => ({
          name,
          wikidataId: await this.wikidata.findItemId(name, LANGUAGE),
          language: LANGUAGE,
        })),
      );
      return {
        kind: 'succeeded',
        result: topics,
        details: { prompt: DEFINING_TOPICS_PROMPT.version, model: check.model },
      };
    } catch (error) {
      return resultOfFailure(error);
    }
  }
}
