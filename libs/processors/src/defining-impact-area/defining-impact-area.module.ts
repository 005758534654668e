import { Module } from '@nestjs/common';
import { VerificationModule } from '../verification/verification.module.js';
import { DefiningImpactAreaProcessor } from './defining-impact-area.processor.js';

/** `defining_impact_area` tasks: the area of society a claim affects, matched to Wikidata. */
@Module({
  imports: [VerificationModule],
  providers: [DefiningImpactAreaProcessor],
})
export class DefiningImpactAreaModule {}
