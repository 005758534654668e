import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { DefiningSeverityModule } from './defining-severity/defining-severity.module.js';
import { DefiningTopicsModule } from './defining-topics/defining-topics.module.js';
import { DefiningImpactAreaModule } from './defining-impact-area/defining-impact-area.module.js';
import { TextEmbeddingModule } from './embeddings/text-embedding.module.js';
import { IdentifyingDataModule } from './identifying-data/identifying-data.module.js';
import { ProcessorFailurePolicy } from './processor-failure-policy.js';
import { ProcessorRegistry } from './processor-registry.js';
import { ProvidersModule } from './providers/providers.module.js';
import { taskProcessorsProvider } from './task-processors.js';

/**
 * The processor registry, with the built-in processor modules. Processors
 * are found wherever they are provided (TASK_PROCESSORS); a new one goes in
 * its own module, imported here (docs/extending.md).
 */
@Module({
  imports: [
    DiscoveryModule,
    ProvidersModule,
    // One module per task type: adding a type is one line here (docs/extending.md).
    TextEmbeddingModule,
    IdentifyingDataModule,
    DefiningTopicsModule,
    DefiningImpactAreaModule,
    DefiningSeverityModule,
  ],
  providers: [
    taskProcessorsProvider,
    ProcessorFailurePolicy,
    ProcessorRegistry,
  ],
  exports: [ProcessorRegistry],
})
export class ProcessorsModule {}
