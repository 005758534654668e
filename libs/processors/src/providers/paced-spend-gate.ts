import {
  BudgetLedger,
  BudgetUsedUpError,
  type BudgetReservation,
} from '@app/budgets';
import type { PacerPermit, ProviderPacer } from '@app/resilience';
import {
  type Admission,
  BudgetExhaustedError,
  SpendGate,
  type SpendRequest,
  type WorkPause,
} from './spend-gate.js';

/**
 * The gate of real providers: the budgets first (a request that does not
 * fit is refused at once, without waiting its turn), then the provider's
 * pacer (waits until its rate limits have room).
 */
export class PacedSpendGate extends SpendGate {
  constructor(
    private readonly pacers: ReadonlyMap<string, ProviderPacer>,
    private readonly ledger: BudgetLedger,
  ) {
    super();
  }

  async admit(request: SpendRequest): Promise<Admission> {
    const reservation = await this.reserve(request);
    let permit: PacerPermit | undefined;
    try {
      permit = await this.pacers
        .get(request.provider)
        ?.acquire({ tokens: request.tokens });
    } catch (error) {
      await reservation.cancel();
      throw error;
    }
    return admission(permit, reservation);
  }

  maxRequestTokens(provider: string): number | undefined {
    return this.pacers.get(provider)?.maxRequestTokens();
  }

  workPause(): WorkPause {
    const status = this.ledger.status();
    return status.kind === 'used_up'
      ? { kind: 'paused', until: status.until, reason: status.message }
      : { kind: 'open' };
  }

  private async reserve(request: SpendRequest): Promise<BudgetReservation> {
    try {
      return await this.ledger.reserve(request);
    } catch (error) {
      if (error instanceof BudgetUsedUpError) {
        throw new BudgetExhaustedError(error.message, error.until);
      }
      throw error;
    }
  }
}

function admission(
  permit: PacerPermit | undefined,
  reservation: BudgetReservation,
): Admission {
  let answered = false;
  return {
    answered: (status, headers) => {
      answered = true;
      permit?.observe(status, headers);
    },
    settle: (spent) => reservation.settle(spent),
    cancel: async () => {
      // Sent and lost on the way: the provider may have counted it against
      // its rate limits, though no provider bills it.
      if (!answered) permit?.abandon();
      await reservation.cancel();
    },
  };
}
