import { Module } from '@nestjs/common';
import { VerificationModule } from '../verification/verification.module.js';
import { DefiningSeverityProcessor } from './defining-severity.processor.js';

/** `defining_severity` tasks: how harmful a claim would be, on the server's scale. */
@Module({
  imports: [VerificationModule],
  providers: [DefiningSeverityProcessor],
})
export class DefiningSeverityModule {}
