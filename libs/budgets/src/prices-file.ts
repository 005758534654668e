import { IsDefined, IsNumber, Min } from 'class-validator';
import { readFileSync } from 'node:fs';
import { validate } from '@app/validation';
import type { ModelPrice } from './built-in-prices.js';

class ModelPriceEntry {
  @IsDefined({ message: 'input is required (USD per 1M prompt tokens)' })
  @IsNumber(
    { allowNaN: false, allowInfinity: false },
    { message: 'input must be a number, 0 or more (USD per 1M prompt tokens)' },
  )
  @Min(0, {
    message: 'input must be a number, 0 or more (USD per 1M prompt tokens)',
  })
  input: number;

  @IsDefined({ message: 'output is required (USD per 1M answer tokens)' })
  @IsNumber(
    { allowNaN: false, allowInfinity: false },
    {
      message: 'output must be a number, 0 or more (USD per 1M answer tokens)',
    },
  )
  @Min(0, {
    message: 'output must be a number, 0 or more (USD per 1M answer tokens)',
  })
  output: number;
}

/** `BUDGET_PRICES_FILE` could not be used; the service does not start. */
export class PricesFileError extends Error {
  constructor(path: string, problems: readonly string[]) {
    super(`BUDGET_PRICES_FILE (${path}) ${problems.join('; ')}`);
    this.name = 'PricesFileError';
  }
}

/**
 * The prices of `BUDGET_PRICES_FILE`: a JSON object of
 * `{"<model>": {"input": 0.15, "output": 0.6}}`, USD per 1M tokens.
 * @throws PricesFileError naming every problem.
 */
export function readPricesFile(path: string): Record<string, ModelPrice> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new PricesFileError(path, [
      error instanceof SyntaxError
        ? `is not JSON: ${error.message}`
        : `cannot be read: ${(error as Error).message}`,
    ]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new PricesFileError(path, [
      'must be a JSON object of {"<model>": {"input": <USD per 1M tokens>, "output": <USD per 1M tokens>}}',
    ]);
  }
  const prices: Record<string, ModelPrice> = {};
  const problems: string[] = [];
  for (const [model, entry] of Object.entries(parsed)) {
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
      problems.push(`"${model}" must be an object of input and output prices`);
      continue;
    }
    const checked = validate(ModelPriceEntry, entry as object);
    if (checked.kind === 'invalid') {
      problems.push(...checked.problems.map((line) => `"${model}": ${line}`));
      continue;
    }
    prices[model] = {
      input: checked.value.input,
      output: checked.value.output,
    };
  }
  if (problems.length > 0) throw new PricesFileError(path, problems);
  return prices;
}
