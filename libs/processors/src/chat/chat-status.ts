import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ReadinessRegistry } from '@app/observability';
import { ChatProvider } from './chat-provider.js';

/**
 * Says at start-up which chat provider is active and why, and adds the
 * `chat` readiness check (fails while our key is refused or the chat
 * breaker is open; the mock is always ready).
 */
@Injectable()
export class ChatStatus implements OnModuleInit {
  private readonly logger = new Logger(ChatStatus.name);

  constructor(
    private readonly provider: ChatProvider,
    private readonly readiness: ReadinessRegistry,
  ) {}

  onModuleInit(): void {
    this.logger.log(this.provider.description);
    this.readiness.register('chat', () => this.provider.assertReady());
  }
}
