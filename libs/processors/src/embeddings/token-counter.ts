import { Inject, Injectable } from '@nestjs/common';
import { countTokensWithin } from './embedding-models.js';
import { hasRunLongerThan } from './text-runs.js';
import { TOKEN_COUNT_LIMITS } from '../processors.constants.js';
import {
  type TokenCount,
  TokenCountPool,
  type TokenCountLimits,
} from './token-count-pool.js';

/** Counts cl100k_base tokens without holding up the event loop. */
export abstract class TokenCounter {
  /** Rejects only for a bug or at shutdown (an error with `transient: true`). */
  abstract countWithin(text: string, limit: number): Promise<TokenCount>;
}

/**
 * Short texts of ordinary words, nearly every task, are counted at once on
 * the event loop; longer ones, and any with a long run without a space, in
 * a thread of the pool.
 */
@Injectable()
export class Cl100kTokenCounter extends TokenCounter {
  constructor(
    @Inject(TOKEN_COUNT_LIMITS) private readonly limits: TokenCountLimits,
    private readonly pool: TokenCountPool,
  ) {
    super();
  }

  countWithin(text: string, limit: number): Promise<TokenCount> {
    if (
      text.length > this.limits.inlineMaxCharacters ||
      hasRunLongerThan(text, this.limits.inlineMaxRun)
    )
      return this.pool.countWithin(text, limit);
    const tokens = countTokensWithin(text, limit);
    return Promise.resolve(
      tokens === false ? { kind: 'over_limit' } : { kind: 'counted', tokens },
    );
  }
}
