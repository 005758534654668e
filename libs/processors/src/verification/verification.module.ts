import { Module } from '@nestjs/common';
import { ChatModule } from '../chat/chat.module.js';
import { WikidataModule } from '../wikidata/wikidata.module.js';
import { WikidataEnrichment } from './wikidata-enrichment.js';

/**
 * What every verification task type shares: the chat provider, Wikidata
 * and the lookups on it. Each type's module imports this one; Nest builds
 * it once.
 */
@Module({
  imports: [ChatModule, WikidataModule],
  providers: [WikidataEnrichment],
  exports: [ChatModule, WikidataModule, WikidataEnrichment],
})
export class VerificationModule {}
