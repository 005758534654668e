import { ProvidersModule } from '../providers/providers.module.js';
import { Module } from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { ServiceConfig } from '@app/config';
import {
  OPENAI_CLIENT_FACTORY,
  OPENAI_RETRY_TIMING,
} from '../processors.constants.js';
import {
  DEFAULT_RETRY_TIMING,
  createOpenAiClient,
} from '../embeddings/openai-client.js';
import { ChatProvider } from './chat-provider.js';
import { ChatStatus } from './chat-status.js';
import { MockChatProvider } from './mock-chat-provider.js';
import { OpenAiChatProvider } from './openai-chat-provider.js';

/**
 * The chat provider of the verification task types, for the modules of
 * their processors to import. Only the chosen provider is built: the
 * OpenAI one cannot exist without a key. The SDK client factory and the
 * retry pauses are this module's own providers (a Nest module resolves
 * its own first), with the same defaults as the embeddings'.
 */
@Module({
  imports: [ProvidersModule],
  providers: [
    { provide: OPENAI_CLIENT_FACTORY, useValue: createOpenAiClient },
    { provide: OPENAI_RETRY_TIMING, useValue: DEFAULT_RETRY_TIMING },
    {
      provide: ChatProvider,
      inject: [ServiceConfig, ModuleRef],
      useFactory: (config: ServiceConfig, moduleRef: ModuleRef) =>
        moduleRef.create<ChatProvider>(
          config.chat.provider.kind === 'providers'
            ? OpenAiChatProvider
            : MockChatProvider,
        ),
    },
    ChatStatus,
  ],
  exports: [ChatProvider],
})
export class ChatModule {}
