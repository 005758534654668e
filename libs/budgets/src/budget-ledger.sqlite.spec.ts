import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import type { TestingModule } from '@nestjs/testing';
import { VALID_ENVIRONMENT } from '@app/config/testing';
import { isTransient } from '@app/resilience';
import {
  CapturingLogger,
  startLibraryModule,
} from '@app/observability/testing';
import { BudgetUsedUpError, RequestOverBudgetError } from './budget-errors.js';
import { BudgetLedger, type BudgetRequest } from './budget-ledger.js';
import { BUDGET_CLOCK } from './budgets.constants.js';
import { BudgetsModule } from './budgets.module.js';

const TUESDAY_NOON = Date.parse('2026-12-01T12:00:00.000Z');
const NEXT_MIDNIGHT = new Date('2026-12-02T00:00:00.000Z');

const request = (tokens: number, model = 'gpt-4o-mini'): BudgetRequest => ({
  provider: 'openai',
  model,
  tokens,
});

/** The error `promise` rejects with; fails the test if it resolves. */
async function refusal(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => expect.fail('expected the reservation to be refused'),
    (error: unknown) => error as Error,
  );
}

describe('BudgetLedger on SQLite', () => {
  let dir: string;
  let file: string;
  let now: number;
  let logger: CapturingLogger;
  const modules: TestingModule[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'budgets-sqlite-'));
    file = join(dir, 'data', 'budgets.sqlite');
    now = TUESDAY_NOON;
    logger = new CapturingLogger();
  });

  afterEach(async () => {
    for (const moduleRef of modules.splice(0)) await moduleRef.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function ledger(env: Record<string, string>): Promise<BudgetLedger> {
    const moduleRef = await startLibraryModule({
      env: { ...VALID_ENVIRONMENT, BUDGET_STORE: `sqlite:${file}`, ...env },
      imports: [BudgetsModule],
      overrides: [[BUDGET_CLOCK, () => now]],
      logger,
    });
    modules.push(moduleRef);
    return moduleRef.get(BudgetLedger);
  }

  /** What the counters hold, read from the store. */
  async function used(budgets: BudgetLedger): Promise<number[]> {
    await budgets.refresh();
    return budgets.usage().map(({ used }) => used);
  }

  it('reserves, then counts what was used instead, and gives a cancelled reservation back', async () => {
    const budgets = await ledger({ BUDGET_DAY_TOKENS: '1000' });

    const first = await budgets.reserve(request(300));
    expect(await used(budgets)).toEqual([300]);
    await first.settle({ promptTokens: 200, completionTokens: 50 });
    expect(await used(budgets)).toEqual([250]);
    // Settling twice counts once.
    await first.settle({ promptTokens: 900, completionTokens: 0 });
    await first.cancel();
    expect(await used(budgets)).toEqual([250]);

    const second = await budgets.reserve(request(100));
    expect(await used(budgets)).toEqual([350]);
    await second.cancel();
    expect(await used(budgets)).toEqual([250]);
    expect(budgets.usage()).toEqual([
      {
        budget: { period: 'day', unit: 'tokens', limit: 1000 },
        used: 250,
        remaining: 750,
        resetsAt: NEXT_MIDNIGHT,
      },
    ]);
    expect(budgets.status()).toEqual({ kind: 'open' });
  });

  it('refuses what does not fit until the period ends, counting nothing for it', async () => {
    const budgets = await ledger({ BUDGET_DAY_TOKENS: '200000' });
    await budgets.reserve(request(150_000));

    const error = await refusal(budgets.reserve(request(60_000)));

    expect(error).toBeInstanceOf(BudgetUsedUpError);
    expect(isTransient(error)).toBe(true);
    expect((error as BudgetUsedUpError).until).toEqual(NEXT_MIDNIGHT);
    expect(error.message).toBe(
      'the daily token budget (200,000) is used up until 2026-12-02T00:00:00.000Z',
    );
    expect(await used(budgets)).toEqual([150_000]);
    expect(budgets.status()).toEqual({
      kind: 'used_up',
      budget: { period: 'day', unit: 'tokens', limit: 200_000 },
      until: NEXT_MIDNIGHT,
      message: error.message,
    });
    // Known without the store: refused at once, still nothing counted.
    await expect(budgets.reserve(request(1))).rejects.toThrow(
      BudgetUsedUpError,
    );
    expect(await used(budgets)).toEqual([150_000]);
  });

  it('takes from every budget or from none', async () => {
    const budgets = await ledger({
      BUDGET_HOUR_TOKENS: '100',
      BUDGET_DAY_TOKENS: '1000',
    });
    await budgets.reserve(request(80));

    const error = await refusal(budgets.reserve(request(50)));

    expect(error.message).toBe(
      'the hourly token budget (100) is used up until 2026-12-01T13:00:00.000Z',
    );
    // The day had room, and counted the 50 before the hour refused: given back.
    expect(await used(budgets)).toEqual([80, 80]);
  });

  it('names the budget that opens last when several are used up', async () => {
    const budgets = await ledger({
      BUDGET_HOUR_TOKENS: '100',
      BUDGET_DAY_TOKENS: '100',
    });
    await budgets.reserve(request(100));
    const status = budgets.status();
    expect(status.kind === 'used_up' && status.until).toEqual(NEXT_MIDNIGHT);
  });

  it('counts usage beyond the reservation, and past the limit: it was spent', async () => {
    const budgets = await ledger({ BUDGET_DAY_TOKENS: '1000' });
    const reservation = await budgets.reserve(request(900));
    expect(budgets.status()).toEqual({ kind: 'open' });

    await reservation.settle({ promptTokens: 900, completionTokens: 300 });

    expect(await used(budgets)).toEqual([1200]);
    expect(budgets.usage()[0].remaining).toBe(0);
    expect(budgets.status().kind).toBe('used_up');
  });

  it('opens again when what was reserved settles lower and the refused request fits', async () => {
    const budgets = await ledger({ BUDGET_DAY_TOKENS: '1000' });
    const big = await budgets.reserve(request(800));
    await expect(budgets.reserve(request(300))).rejects.toThrow(
      BudgetUsedUpError,
    );
    expect(budgets.status().kind).toBe('used_up');

    await big.settle({ promptTokens: 100, completionTokens: 100 });

    expect(budgets.status()).toEqual({ kind: 'open' });
    await budgets.reserve(request(300));
    expect(await used(budgets)).toEqual([500]);
  });

  it('fails a request larger than a whole budget, counting nothing and stopping nothing', async () => {
    const budgets = await ledger({ BUDGET_DAY_TOKENS: '1000' });

    const error = await refusal(budgets.reserve(request(1001)));

    expect(error).toBeInstanceOf(RequestOverBudgetError);
    expect(isTransient(error)).toBe(false);
    expect(error.message).toBe(
      'a request of 1,001 tokens is more than the whole of the daily token budget (1,000)',
    );
    expect(budgets.status()).toEqual({ kind: 'open' });
    expect(await used(budgets)).toEqual([0]);
  });

  it('remembers usage across a restart on the same file', async () => {
    const before = await ledger({ BUDGET_DAY_TOKENS: '1000' });
    const reservation = await before.reserve(request(600));
    await reservation.settle({ promptTokens: 400, completionTokens: 100 });
    await modules.pop()?.close();

    const after = await ledger({ BUDGET_DAY_TOKENS: '1000' });

    // Read at start-up, before any reservation.
    expect(after.usage()[0].used).toBe(500);
    await expect(after.reserve(request(600))).rejects.toThrow(
      BudgetUsedUpError,
    );
    expect(await used(after)).toEqual([500]);
  });

  it('starts used up when a restart finds the budget spent', async () => {
    const before = await ledger({ BUDGET_DAY_TOKENS: '1000' });
    await before.reserve(request(1000));
    await modules.pop()?.close();

    const after = await ledger({ BUDGET_DAY_TOKENS: '1000' });

    expect(after.status()).toMatchObject({
      kind: 'used_up',
      until: NEXT_MIDNIGHT,
    });
  });

  it('opens again by itself when the clock reaches the next day, logging both once', async () => {
    const budgets = await ledger({ BUDGET_DAY_TOKENS: '1000' });
    now = Date.parse('2026-12-01T23:59:59.000Z');
    await budgets.reserve(request(1000));
    const status = budgets.status();
    expect(status.kind === 'used_up' && status.until).toEqual(NEXT_MIDNIGHT);
    budgets.status();

    now = NEXT_MIDNIGHT.getTime();

    expect(budgets.status()).toEqual({ kind: 'open' });
    budgets.status();
    await budgets.reserve(request(400));
    expect(budgets.usage()[0]).toMatchObject({
      used: 400,
      resetsAt: new Date('2026-12-03T00:00:00.000Z'),
    });
    expect(logger.containing('is used up until')).toEqual([
      'warn the daily token budget (1,000) is used up until 2026-12-02T00:00:00.000Z: work that needs it waits (1,000 tokens counted) BudgetLedger',
    ]);
    expect(logger.containing('work resumes')).toHaveLength(1);
  });

  it('resets a weekly budget on Monday 00:00 UTC', async () => {
    const budgets = await ledger({ BUDGET_WEEK_TOKENS: '100' });
    now = Date.parse('2026-12-06T23:59:00.000Z'); // a Sunday
    await budgets.reserve(request(100));

    const error = await refusal(budgets.reserve(request(1)));

    expect((error as BudgetUsedUpError).until).toEqual(
      new Date('2026-12-07T00:00:00.000Z'),
    );
    expect(error.message).toContain('the weekly token budget (100)');
    now = Date.parse('2026-12-07T00:00:00.000Z');
    await budgets.reserve(request(100));
  });

  it('resets a monthly budget on the first of the month, across a year', async () => {
    const budgets = await ledger({ BUDGET_MONTH_TOKENS: '100' });
    now = Date.parse('2026-12-31T23:00:00.000Z');
    await budgets.reserve(request(100));

    const error = await refusal(budgets.reserve(request(1)));

    expect((error as BudgetUsedUpError).until).toEqual(
      new Date('2027-01-01T00:00:00.000Z'),
    );
    now = Date.parse('2027-01-01T00:00:00.000Z');
    await budgets.reserve(request(100));
    expect(budgets.usage()[0].resetsAt).toEqual(
      new Date('2027-02-01T00:00:00.000Z'),
    );
  });

  it('counts money from the price table: every token at the higher price when reserving, the split when settled', async () => {
    // 10,000 micro-dollars; gpt-4o-mini costs 0.15 / 0.60 USD per 1M tokens.
    const budgets = await ledger({ BUDGET_DAY_USD: '0.01' });

    const first = await budgets.reserve(request(10_000));
    expect(budgets.usage()[0].used).toBeCloseTo(0.006, 9);
    const error = await refusal(budgets.reserve(request(10_000)));
    expect(error.message).toBe(
      'the daily USD budget ($0.01) is used up until 2026-12-02T00:00:00.000Z',
    );

    await first.settle({ promptTokens: 8000, completionTokens: 1000 });

    expect((await used(budgets))[0]).toBeCloseTo(0.0018, 9);
    expect(budgets.status()).toEqual({ kind: 'open' });
  });

  it('takes the caller’s maxUsd when it is given', async () => {
    const budgets = await ledger({ BUDGET_DAY_USD: '1' });
    await budgets.reserve({ ...request(1_000_000), maxUsd: 0.25 });
    expect((await used(budgets))[0]).toBeCloseTo(0.25, 9);
  });

  it('prices models from BUDGET_PRICES_FILE', async () => {
    const prices = join(dir, 'prices.json');
    writeFileSync(
      prices,
      JSON.stringify({ 'my-model': { input: 1, output: 1 } }),
    );
    const budgets = await ledger({
      BUDGET_DAY_USD: '0.001',
      BUDGET_PRICES_FILE: prices,
    });

    await budgets.reserve(request(1000, 'my-model'));

    expect(budgets.status()).toMatchObject({
      kind: 'used_up',
      message:
        'the daily USD budget ($0.001) is used up until 2026-12-02T00:00:00.000Z',
    });
  });

  it('lets a model without a price through a USD budget at no cost, warning once', async () => {
    const budgets = await ledger({ BUDGET_DAY_USD: '0.001' });

    for (let i = 0; i < 3; i++) {
      const reservation = await budgets.reserve(
        request(1_000_000, 'llama3.1:8b'),
      );
      await reservation.settle({
        promptTokens: 1_000_000,
        completionTokens: 0,
      });
    }

    expect(await used(budgets)).toEqual([0]);
    expect(logger.containing('has no price')).toEqual([
      'warn the model llama3.1:8b has no price: its requests cost 0 USD against the USD budgets (BUDGET_PRICES_FILE adds prices) BudgetLedger',
    ]);
  });

  it('counts tokens and money side by side', async () => {
    const budgets = await ledger({
      BUDGET_DAY_TOKENS: '100000',
      BUDGET_MONTH_USD: '5',
    });
    const reservation = await budgets.reserve(request(2000, 'gpt-4o'));
    await reservation.settle({ promptTokens: 1000, completionTokens: 500 });
    const [tokens, usd] = await used(budgets);
    expect(tokens).toBe(1500);
    // 1000 × 2.50 + 500 × 10.00 micro-dollars.
    expect(usd).toBeCloseTo(0.0075, 9);
  });

  describe('per provider or model (BUDGET_FILE)', () => {
    const OLLAMA = {
      PROVIDER_OLLAMA_BASE_URL: 'http://127.0.0.1:11434/v1',
      WIKIDATA_USER_AGENT:
        'budgets-test/1.0 (https://example.org; ops@example.org)',
    };
    const to = (
      provider: string,
      model: string,
      tokens: number,
    ): BudgetRequest => ({ provider, model, tokens });

    /** The environment naming a BUDGET_FILE of `budgets`. */
    function withFile(budgets: unknown[]): Record<string, string> {
      const path = join(dir, 'budgets.json');
      writeFileSync(path, JSON.stringify({ budgets }));
      return { ...OLLAMA, BUDGET_FILE: path };
    }

    /** The counters' keys in the SQLite file, sorted. */
    function keys(): string[] {
      const db = new DatabaseSync(file, { readOnly: true });
      try {
        return db
          .prepare('SELECT key FROM budget_usage ORDER BY key')
          .all()
          .map(({ key }) => String(key));
      } finally {
        db.close();
      }
    }

    it('a provider’s budget refuses only that provider’s requests, and stops no other work', async () => {
      const budgets = await ledger(
        withFile([{ period: 'day', tokens: 1000, provider: 'openai' }]),
      );
      await budgets.reserve(to('openai', 'gpt-4o-mini', 900));

      const error = await refusal(
        budgets.reserve(to('openai', 'gpt-4o-mini', 200)),
      );

      expect(error).toBeInstanceOf(BudgetUsedUpError);
      expect(error.message).toBe(
        'the daily token budget of provider openai (1,000) is used up until 2026-12-02T00:00:00.000Z',
      );
      expect((error as BudgetUsedUpError).budget).toEqual({
        period: 'day',
        unit: 'tokens',
        limit: 1000,
        provider: 'openai',
      });
      // Work goes on: another provider's requests are not counted at all.
      expect(budgets.status()).toEqual({ kind: 'open' });
      await budgets.reserve(to('ollama', 'gpt-4o-mini', 5000));
      expect(await used(budgets)).toEqual([900]);
      expect(keys()).toEqual(['budget:day:tokens:provider=openai:2026-12-01']);
      expect(logger.containing('is used up until')).toEqual([
        'warn the daily token budget of provider openai (1,000) is used up until 2026-12-02T00:00:00.000Z: work that needs it waits (900 tokens counted) BudgetLedger',
      ]);
    });

    it('remembers a scoped refusal until the period ends, answering it without the store', async () => {
      const budgets = await ledger(
        withFile([{ period: 'hour', tokens: 100, provider: 'openai' }]),
      );
      await budgets.reserve(to('openai', 'gpt-4o-mini', 100));
      await expect(
        budgets.reserve(to('openai', 'gpt-4o-mini', 1)),
      ).rejects.toThrow(BudgetUsedUpError);
      // Another replica's view aside, the store now has room: this
      // process still refuses from memory (no store call) ...
      const db = new DatabaseSync(file);
      db.exec('DELETE FROM budget_usage');
      db.close();
      const error = await refusal(
        budgets.reserve(to('openai', 'gpt-4o-mini', 1)),
      );
      expect((error as BudgetUsedUpError).until).toEqual(
        new Date('2026-12-01T13:00:00.000Z'),
      );
      expect(keys()).toEqual([]);

      // ... until the next period.
      now = Date.parse('2026-12-01T13:00:00.000Z');
      await budgets.reserve(to('openai', 'gpt-4o-mini', 100));
      expect(keys()).toEqual([
        'budget:hour:tokens:provider=openai:2026-12-01T13',
      ]);
    });

    it('a model pattern’s budget counts only the models it matches, on any provider', async () => {
      const budgets = await ledger(
        withFile([{ period: 'month', usd: 50, model: 'gpt-4o*' }]),
      );
      await budgets.reserve({ ...to('openai', 'gpt-4o-mini', 1), maxUsd: 30 });
      await budgets.reserve({ ...to('ollama', 'gpt-4o', 1), maxUsd: 15 });
      await budgets.reserve({ ...to('openai', 'o3-mini', 1), maxUsd: 100 });

      const error = await refusal(
        budgets.reserve({ ...to('openai', 'gpt-4o', 1), maxUsd: 10 }),
      );

      expect(error.message).toBe(
        'the monthly USD budget of models gpt-4o* ($50.00) is used up until 2027-01-01T00:00:00.000Z',
      );
      expect(budgets.status()).toEqual({ kind: 'open' });
      await budgets.reserve({ ...to('openai', 'gpt-4', 1), maxUsd: 10 });
      expect((await used(budgets))[0]).toBeCloseTo(45, 9);
      expect(keys()).toEqual(['budget:month:usd:model=gpt-4o*:2026-12']);
    });

    it('an unscoped budget counts every request and stops all work, beside the scoped ones', async () => {
      const budgets = await ledger({
        BUDGET_DAY_TOKENS: '1100',
        ...withFile([
          { period: 'day', tokens: 500, provider: 'ollama' },
          { period: 'day', tokens: 800, provider: 'openai', model: 'gpt-*' },
        ]),
      });
      await budgets.reserve(to('ollama', 'qwen3', 400));
      await budgets.reserve(to('openai', 'gpt-4o', 300));
      await budgets.reserve(to('openai', 'o3', 200));
      expect(await used(budgets)).toEqual([900, 400, 300]);
      expect(keys()).toEqual([
        'budget:day:tokens:2026-12-01',
        'budget:day:tokens:provider=ollama:2026-12-01',
        'budget:day:tokens:provider=openai:model=gpt-*:2026-12-01',
      ]);

      // The ollama budget refuses (and the others give back what they counted).
      await expect(budgets.reserve(to('ollama', 'qwen3', 150))).rejects.toThrow(
        'the daily token budget of provider ollama (500)',
      );
      expect(await used(budgets)).toEqual([900, 400, 300]);
      expect(budgets.status()).toEqual({ kind: 'open' });

      // The unscoped one refuses anyone, and pauses the work.
      await budgets.reserve(to('openai', 'o3', 200));
      expect(budgets.status()).toMatchObject({
        kind: 'used_up',
        budget: { period: 'day', unit: 'tokens', limit: 1100 },
        message:
          'the daily token budget (1,100) is used up until 2026-12-02T00:00:00.000Z',
      });
      await expect(budgets.reserve(to('openai', 'gpt-4o', 1))).rejects.toThrow(
        BudgetUsedUpError,
      );
    });

    it('fails a request larger than a whole scoped budget only where it applies', async () => {
      const budgets = await ledger(
        withFile([{ period: 'day', tokens: 100, provider: 'openai' }]),
      );
      await expect(
        budgets.reserve(to('openai', 'gpt-4o', 101)),
      ).rejects.toThrow(RequestOverBudgetError);
      await budgets.reserve(to('ollama', 'qwen3', 101));
    });
  });
});
