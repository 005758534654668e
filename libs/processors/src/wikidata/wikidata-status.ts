import { Injectable, Logger, type OnModuleInit } from '@nestjs/common';
import { ReadinessRegistry } from '@app/observability';
import { WikidataClient } from './wikidata-client.js';

/**
 * Says at start-up which Wikidata the service asks, and adds the
 * `wikidata` readiness check (fails while Wikidata refuses our User-Agent
 * or the `wikidata` breaker is open; the mock is always ready), as the
 * embeddings and chat providers do.
 */
@Injectable()
export class WikidataStatus implements OnModuleInit {
  private readonly logger = new Logger(WikidataStatus.name);

  constructor(
    private readonly client: WikidataClient,
    private readonly readiness: ReadinessRegistry,
  ) {}

  onModuleInit(): void {
    this.logger.log(this.client.description);
    this.readiness.register('wikidata', () => this.client.assertReady());
  }
}
