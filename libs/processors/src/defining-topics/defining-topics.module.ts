import { Module } from '@nestjs/common';
import { VerificationModule } from '../verification/verification.module.js';
import { DefiningTopicsProcessor } from './defining-topics.processor.js';

/** `defining_topics` tasks: the topics of a text, matched to Wikidata. */
@Module({
  imports: [VerificationModule],
  providers: [DefiningTopicsProcessor],
})
export class DefiningTopicsModule {}
