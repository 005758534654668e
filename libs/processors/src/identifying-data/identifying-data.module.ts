import { Module } from '@nestjs/common';
import { VerificationModule } from '../verification/verification.module.js';
import { IdentifyingDataProcessor } from './identifying-data.processor.js';

/** `identifying_data` tasks: the public people of a text, matched to Wikidata humans. */
@Module({
  imports: [VerificationModule],
  providers: [IdentifyingDataProcessor],
})
export class IdentifyingDataModule {}
