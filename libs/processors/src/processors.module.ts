import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TextEmbeddingModule } from './embeddings/text-embedding.module.js';
import { ProcessorFailurePolicy } from './processor-failure-policy.js';
import { ProcessorRegistry } from './processor-registry.js';
import { taskProcessorsProvider } from './task-processors.js';

/**
 * The processor registry, with the built-in processor modules. Processors
 * are found wherever they are provided (TASK_PROCESSORS); a new one goes in
 * its own module, imported here (docs/extending.md).
 */
@Module({
  imports: [DiscoveryModule, TextEmbeddingModule],
  providers: [
    taskProcessorsProvider,
    ProcessorFailurePolicy,
    ProcessorRegistry,
  ],
  exports: [ProcessorRegistry],
})
export class ProcessorsModule {}
