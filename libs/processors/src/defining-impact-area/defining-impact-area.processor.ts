import { ServiceConfig } from '@app/config';
import { ChatProvider } from '../chat/chat-provider.js';
import { FAILURE_CODE } from '../failure-codes.js';
import {
  TaskProcessor,
  TaskProcessorHost,
  type ProcessableTask,
  type ProcessingResult,
} from '../task-processor.js';
import { cleanPhrase } from '../verification/phrases.js';
import { conversation } from '../verification/prompt.js';
import {
  VerificationContent,
  checkVerificationContent,
} from '../verification/verification-content.js';
import { resultOfFailure } from '../verification/verification-failure.js';
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
export class DefiningImpactAreaProcessor extends TaskProcessorHost {
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
        messages: conversation(DEFINING_IMPACT_AREA_PROMPT, text),
        schema: IMPACT_AREA_ANSWER,
        text,
      });
      const name = cleanPhrase(value.impactArea.name);
      if (name === '') {
        return {
          kind: 'failed',
          code: FAILURE_CODE.invalidModelOutput,
          message: 'the model named an empty impact area',
        };
      }
      return {
        kind: 'succeeded',
        result: {
          name,
          wikidataId: await this.wikidata.findItemId(name, LANGUAGE),
          language: LANGUAGE,
        },
        details: {
          prompt: DEFINING_IMPACT_AREA_PROMPT.version,
          model: check.model,
        },
      };
    } catch (error) {
      return resultOfFailure(error);
    }
  }
}
