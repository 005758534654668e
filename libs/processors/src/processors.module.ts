import { Module } from '@nestjs/common';
import { DiscoveryModule } from '@nestjs/core';
import { TextEmbeddingModule } from './embeddings/text-embedding.module.js';
import { ProcessorRegistry } from './processor-registry.js';

/**
 * The processor registry, with the built-in text embedding processor.
 * Other processors come from any module of the application that provides
 * a class marked `@RegisterTaskProcessor()` (docs/extending.md).
 */
@Module({
  imports: [DiscoveryModule, TextEmbeddingModule],
  providers: [ProcessorRegistry],
  exports: [ProcessorRegistry],
})
export class ProcessorsModule {}
