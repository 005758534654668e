import { Module } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ServiceConfig } from '@app/config';
import {
  WIKIDATA_LIMITS,
  WIKIDATA_RETRY_TIMING,
} from '../processors.constants.js';
import { HttpWikidataClient } from './http-wikidata-client.js';
import { MockWikidataClient } from './mock-wikidata-client.js';
import { WikidataClient } from './wikidata-client.js';
import {
  DEFAULT_WIKIDATA_LIMITS,
  DEFAULT_WIKIDATA_RETRY_TIMING,
} from './wikidata-limits.js';
import { WikidataStatus } from './wikidata-status.js';

/**
 * The `WikidataClient` of the verification task types: Wikidata's action
 * API, or the mock in mock mode (the chat provider's choice: no usable
 * OpenAI key, or `EMBEDDING_PROVIDER=mock`). Only the chosen client is
 * built: the real one cannot exist without a User-Agent. Import this module
 * wherever a processor needs Wikidata; Nest builds it once.
 */
@Module({
  providers: [
    { provide: WIKIDATA_LIMITS, useValue: DEFAULT_WIKIDATA_LIMITS },
    { provide: WIKIDATA_RETRY_TIMING, useValue: DEFAULT_WIKIDATA_RETRY_TIMING },
    {
      provide: WikidataClient,
      inject: [ServiceConfig, ModuleRef],
      useFactory: (config: ServiceConfig, moduleRef: ModuleRef) =>
        moduleRef.create<WikidataClient>(
          config.chat.provider.kind === 'providers'
            ? HttpWikidataClient
            : MockWikidataClient,
        ),
    },
    WikidataStatus,
  ],
  exports: [WikidataClient],
})
export class WikidataModule {}
