import { ProvidersModule } from '../providers/providers.module.js';
import { Module } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ServiceConfig } from '@app/config';
import { BatchTimer, SystemBatchTimer } from './batch-timer.js';
import { EmbeddingBatcher } from './embedding-batcher.js';
import { EmbeddingProvider } from './embedding-provider.js';
import { EmbeddingsStatus } from './embeddings-status.js';
import { MockEmbeddingProvider } from './mock-embedding-provider.js';
import {
  OPENAI_CLIENT_FACTORY,
  OPENAI_RETRY_TIMING,
  START_TOKEN_COUNT_THREAD,
  TOKEN_COUNT_LIMITS,
} from '../processors.constants.js';
import { DEFAULT_RETRY_TIMING, createOpenAiClient } from './openai-client.js';
import { OpenAiEmbeddingProvider } from './openai-embedding-provider.js';
import { TextEmbeddingProcessor } from './text-embedding.processor.js';
import {
  DEFAULT_TOKEN_COUNT_LIMITS,
  TokenCountPool,
} from './token-count-pool.js';
import { startTokenCountThread } from './token-count-thread.js';
import { Cl100kTokenCounter, TokenCounter } from './token-counter.js';

/**
 * The text embedding processor and its provider. Only the chosen provider
 * is built: the OpenAI one cannot exist without a key.
 */
@Module({
  imports: [ProvidersModule],
  providers: [
    { provide: BatchTimer, useClass: SystemBatchTimer },
    { provide: OPENAI_CLIENT_FACTORY, useValue: createOpenAiClient },
    { provide: OPENAI_RETRY_TIMING, useValue: DEFAULT_RETRY_TIMING },
    {
      provide: EmbeddingProvider,
      inject: [ServiceConfig, ModuleRef],
      useFactory: (config: ServiceConfig, moduleRef: ModuleRef) =>
        moduleRef.create<EmbeddingProvider>(
          config.embeddings.provider.kind === 'providers'
            ? OpenAiEmbeddingProvider
            : MockEmbeddingProvider,
        ),
    },
    { provide: TOKEN_COUNT_LIMITS, useValue: DEFAULT_TOKEN_COUNT_LIMITS },
    { provide: START_TOKEN_COUNT_THREAD, useValue: startTokenCountThread },
    TokenCountPool,
    { provide: TokenCounter, useClass: Cl100kTokenCounter },
    EmbeddingBatcher,
    EmbeddingsStatus,
    TextEmbeddingProcessor,
  ],
})
export class TextEmbeddingModule {}
