import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PriceTable } from './price-table.js';

describe('PriceTable', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'prices-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const file = (content: string) => {
    const path = join(dir, `${Math.random().toString(36).slice(2)}.json`);
    writeFileSync(path, content);
    return path;
  };

  it('prices prompt tokens at the input price and the answer at the output price, in micro-dollars', () => {
    const prices = new PriceTable();
    // gpt-4o-mini: 0.15 / 0.60 USD per 1M tokens.
    const spent = { promptTokens: 1000, completionTokens: 500 };
    expect(prices.costMicroUsd('gpt-4o-mini', spent)).toBe(150 + 300);
    expect(prices.costUsd('gpt-4o-mini', spent)).toBeCloseTo(0.00045, 12);
  });

  it('reserves every token at the higher price: an upper bound whatever the split', () => {
    const prices = new PriceTable();
    expect(prices.reserveMicroUsd('gpt-4o', 1000)).toBe(10_000);
    expect(prices.reserveMicroUsd('text-embedding-3-small', 1000)).toBe(20);
  });

  it('rounds a cost up to whole micro-dollars, without float noise', () => {
    const prices = new PriceTable();
    expect(
      prices.costMicroUsd('text-embedding-3-small', {
        promptTokens: 3,
        completionTokens: 0,
      }),
    ).toBe(1);
    expect(prices.reserveMicroUsd('gpt-4o-mini', 3)).toBe(2);
  });

  it('prices dated snapshots as their model, and unknown models at 0', () => {
    const prices = new PriceTable();
    expect(prices.knownName('gpt-4o-2024-08-06')).toBe('gpt-4o');
    expect(prices.knownName('llama3.1:8b')).toBeUndefined();
    expect(
      prices.costMicroUsd('llama3.1:8b', {
        promptTokens: 1e6,
        completionTokens: 1e6,
      }),
    ).toBe(0);
  });

  it('replaces and adds prices from BUDGET_PRICES_FILE', () => {
    const prices = PriceTable.load(
      file(
        JSON.stringify({
          'gpt-4o-mini': { input: 1, output: 2 },
          'my-model': { input: 0.5, output: 0.5 },
        }),
      ),
    );
    expect(prices.priceOf('gpt-4o-mini')).toEqual({ input: 1, output: 2 });
    expect(prices.priceOf('my-model')).toEqual({ input: 0.5, output: 0.5 });
    expect(prices.priceOf('gpt-4o')).toEqual({ input: 2.5, output: 10 });
  });

  it('refuses an invalid file with every problem, naming BUDGET_PRICES_FILE', () => {
    const notJson = file('{');
    expect(() => PriceTable.load(notJson)).toThrow(
      new RegExp(`^BUDGET_PRICES_FILE \\(${notJson}\\) is not JSON`),
    );
    expect(() => PriceTable.load(file('[1]'))).toThrow(
      /BUDGET_PRICES_FILE .* must be a JSON object/,
    );
    const wrong = file(
      JSON.stringify({
        a: { input: -1, output: 1 },
        b: { input: 1 },
        c: 'cheap',
        d: { input: '1', output: 1 },
      }),
    );
    let message = '';
    try {
      PriceTable.load(wrong);
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('BUDGET_PRICES_FILE');
    expect(message).toContain('"a": input must be a number, 0 or more');
    expect(message).toContain('"b": output is required');
    expect(message).toContain('"c" must be an object');
    expect(message).toContain('"d": input must be a number, 0 or more');
  });
});
