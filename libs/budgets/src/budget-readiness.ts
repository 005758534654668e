import { Injectable, type OnModuleInit } from '@nestjs/common';
import { ReadinessRegistry } from '@app/observability';
import { BudgetLedger } from './budget-ledger.js';

/**
 * `/ready` fails (check `budget`) while a budget is used up, with the
 * ledger's message: which budget, and until when.
 */
@Injectable()
export class BudgetReadiness implements OnModuleInit {
  constructor(
    private readonly ledger: BudgetLedger,
    private readonly readiness: ReadinessRegistry,
  ) {}

  onModuleInit(): void {
    this.readiness.register('budget', () => {
      const status = this.ledger.status();
      if (status.kind === 'used_up') throw new Error(status.message);
    });
  }
}
