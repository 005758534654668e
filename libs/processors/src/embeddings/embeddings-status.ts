import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ReadinessRegistry } from '@app/observability';
import { EmbeddingProvider } from './embedding-provider.js';

/**
 * Says at start-up which provider is active and why, and adds the
 * `embeddings` readiness check (fails while our key is refused or the
 * openai breaker is open; the mock is always ready).
 */
@Injectable()
export class EmbeddingsStatus implements OnModuleInit {
  private readonly logger = new Logger(EmbeddingsStatus.name);

  constructor(
    private readonly provider: EmbeddingProvider,
    private readonly readiness: ReadinessRegistry,
  ) {}

  onModuleInit(): void {
    this.logger.log(this.provider.description);
    this.readiness.register('embeddings', () => this.provider.assertReady());
  }
}
