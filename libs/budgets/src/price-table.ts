import { type ModelPrice, BUILT_IN_PRICES } from './built-in-prices.js';
import { MICRO_USD_PER_USD } from './counted-budget.js';
import { readPricesFile } from './prices-file.js';
import type { SpentTokens } from './budget-ledger.js';

/** A dated snapshot (`gpt-4o-2024-08-06`) costs what its model does. */
const DATED_SNAPSHOT = /-\d{4}-\d{2}-\d{2}$/;

/**
 * Rounding noise of prices like 0.15 (1000 × 0.15 = 150.00000000000003):
 * removed before rounding a cost up to whole micro-dollars.
 */
const FLOAT_NOISE = 1e-6;

/**
 * What a model's tokens cost: the built-in list prices, replaced or added
 * to by `BUDGET_PRICES_FILE`. A model outside the table costs nothing
 * (local models are free).
 */
export class PriceTable {
  private readonly prices: ReadonlyMap<string, ModelPrice>;

  constructor(overrides: Readonly<Record<string, ModelPrice>> = {}) {
    this.prices = new Map(Object.entries({ ...BUILT_IN_PRICES, ...overrides }));
  }

  /** The built-in prices with those of the file, if any. @throws PricesFileError */
  static load(pricesFile: string | undefined): PriceTable {
    return new PriceTable(
      pricesFile === undefined ? {} : readPricesFile(pricesFile),
    );
  }

  /** The table's name for `model`, when it has a price: a bounded metric label. */
  knownName(model: string): string | undefined {
    if (this.prices.has(model)) return model;
    const undated = model.replace(DATED_SNAPSHOT, '');
    return this.prices.has(undated) ? undated : undefined;
  }

  priceOf(model: string): ModelPrice | undefined {
    const name = this.knownName(model);
    return name === undefined ? undefined : this.prices.get(name);
  }

  /**
   * The most `tokens` may cost, in micro-dollars, when nobody knows yet how
   * many will be prompt and how many answer: every token at the higher of
   * the two prices, an upper bound whatever the split.
   */
  reserveMicroUsd(model: string, tokens: number): number {
    const price = this.priceOf(model);
    if (!price) return 0;
    return roundUp(tokens * Math.max(price.input, price.output));
  }

  /** What was spent, in micro-dollars (rounded up): prompt tokens at the input price, the rest at the output price. */
  costMicroUsd(model: string, spent: SpentTokens): number {
    return roundUp(this.exactMicroUsd(model, spent));
  }

  /** What was spent, in US dollars, unrounded: for `ai_spend_usd_total`. */
  costUsd(model: string, spent: SpentTokens): number {
    return this.exactMicroUsd(model, spent) / MICRO_USD_PER_USD;
  }

  private exactMicroUsd(model: string, spent: SpentTokens): number {
    const price = this.priceOf(model);
    if (!price) return 0;
    // USD per 1M tokens × tokens = micro-dollars.
    return (
      spent.promptTokens * price.input + spent.completionTokens * price.output
    );
  }
}

/** Whole micro-dollars, rounded up: a budget never under-counts. */
export const roundUp = (microUsd: number): number =>
  Math.max(0, Math.ceil(microUsd - FLOAT_NOISE));
