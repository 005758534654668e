import { UpstreamError } from '@app/resilience';

/** One request about to be sent to a provider. */
export interface SpendRequest {
  provider: string;
  model: string;
  /** Tokens it may use at most: the prompt's, plus the most the answer may take. */
  tokens: number;
}

/** What a request actually used, as the provider reported it (or as counted). */
export interface SpentTokens {
  promptTokens: number;
  completionTokens: number;
}

/** A request let through: report its answer, and what it used or that it used nothing. */
export interface Admission {
  /** The provider answered (any status): its headers tell of its rate limits, a 429 pauses it. */
  answered(
    status: number,
    headers: Readonly<Record<string, string | undefined>>,
  ): void;
  /** What the request used, counted against the budgets. */
  settle(spent: SpentTokens): Promise<void>;
  /** It used nothing: never sent, refused, or lost on the way (no provider bills those). */
  cancel(): Promise<void>;
}

/**
 * No budget has room for the request: the task is released, never failed,
 * and the service stops taking tasks until `until`.
 */
export class BudgetExhaustedError extends UpstreamError {
  constructor(
    message: string,
    readonly until: Date,
  ) {
    super(message);
    this.name = 'BudgetExhaustedError';
  }

  get transient(): boolean {
    return true;
  }
}

/** Whether new work may start: not while a budget is used up. */
export type WorkPause =
  { kind: 'open' } | { kind: 'paused'; until: Date; reason: string };

/**
 * What stands between a processor and a provider: pacing under the
 * provider's rate limits, and the spending budgets. `admit` waits until the
 * provider may take the request, and reserves its tokens; the admission
 * learns from the answer (its `x-ratelimit-*` headers, a 429's
 * `retry-after`).
 */
export abstract class SpendGate {
  /** @throws BudgetExhaustedError */
  abstract admit(request: SpendRequest): Promise<Admission>;

  /** The most tokens one request to `provider` can ever be let through with, when limited. */
  abstract maxRequestTokens(provider: string): number | undefined;

  /** Whether tasks may be taken now; known without asking any store. */
  abstract workPause(): WorkPause;
}

/** No pacing and no budget: every request goes at once. */
export class OpenSpendGate extends SpendGate {
  async admit(): Promise<Admission> {
    return {
      answered: () => {},
      settle: async () => {},
      cancel: async () => {},
    };
  }

  maxRequestTokens(): undefined {
    return undefined;
  }

  workPause(): WorkPause {
    return { kind: 'open' };
  }
}
