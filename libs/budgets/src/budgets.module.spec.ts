import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestingModule } from '@nestjs/testing';
import { register } from 'prom-client';
import { VALID_ENVIRONMENT } from '@app/config/testing';
import { METRIC, ReadinessRegistry } from '@app/observability';
import {
  CapturingLogger,
  startLibraryModule,
} from '@app/observability/testing';
import { metricValue } from '../../../test/support/metrics.js';
import { BudgetLedger } from './budget-ledger.js';
import { BUDGET_CLOCK } from './budgets.constants.js';
import { BudgetsModule } from './budgets.module.js';

const TUESDAY_NOON = Date.parse('2026-12-01T12:00:00.000Z');

describe('BudgetsModule', () => {
  let dir: string;
  let file: string;
  let now: number;
  let logger: CapturingLogger;
  const modules: TestingModule[] = [];

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'budgets-module-'));
    file = join(dir, 'data', 'budgets.sqlite');
    now = TUESDAY_NOON;
    logger = new CapturingLogger();
  });

  afterEach(async () => {
    for (const moduleRef of modules.splice(0)) await moduleRef.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function start(env: Record<string, string>): Promise<TestingModule> {
    const moduleRef = await startLibraryModule({
      env: {
        ...VALID_ENVIRONMENT,
        // `openai` becomes a configured provider (a bounded label).
        OPENAI_API_KEY: 'sk-test',
        WIKIDATA_USER_AGENT:
          'budgets-test/1.0 (https://example.org; ops@example.org)',
        BUDGET_STORE: `sqlite:${file}`,
        ...env,
      },
      imports: [BudgetsModule],
      overrides: [[BUDGET_CLOCK, () => now]],
      logger,
    });
    modules.push(moduleRef);
    return moduleRef;
  }

  const budgetCheck = (moduleRef: TestingModule) => {
    const check = moduleRef
      .get(ReadinessRegistry)
      .entries()
      .find(([name]) => name === 'budget')?.[1];
    if (!check) throw new Error('no readiness check named budget');
    return async () => check();
  };

  it('without limits, never opens a store: every request goes and no file is made', async () => {
    const moduleRef = await start({});
    const budgets = moduleRef.get(BudgetLedger);

    for (let i = 0; i < 3; i++) {
      const reservation = await budgets.reserve({
        provider: 'openai',
        model: 'gpt-4o-mini',
        tokens: 1e9,
      });
      await reservation.settle({ promptTokens: 1e6, completionTokens: 0 });
    }

    expect(budgets.status()).toEqual({ kind: 'open' });
    expect(await budgets.refresh()).toEqual({ kind: 'open' });
    expect(existsSync(join(dir, 'data'))).toBe(false);
    await expect(budgetCheck(moduleRef)()).resolves.toBeUndefined();
  });

  it('refuses to start on an invalid BUDGET_PRICES_FILE, naming it and the problem', async () => {
    const prices = join(dir, 'prices.json');
    writeFileSync(prices, JSON.stringify({ 'gpt-4o': { input: 'cheap' } }));

    await expect(
      start({ BUDGET_DAY_USD: '1', BUDGET_PRICES_FILE: prices }),
    ).rejects.toThrow(
      `BUDGET_PRICES_FILE (${prices}) "gpt-4o": input must be a number, 0 or more (USD per 1M prompt tokens); "gpt-4o": output is required (USD per 1M answer tokens)`,
    );
    expect(existsSync(join(dir, 'data'))).toBe(false);
  });

  it('creates the store file and its folder when limits are set', async () => {
    await start({ BUDGET_DAY_TOKENS: '10' });
    expect(existsSync(file)).toBe(true);
  });

  it('counts spend by configured provider and priced model, anything else as other', async () => {
    const moduleRef = await start({});
    const budgets = moduleRef.get(BudgetLedger);
    const spend = (provider: string, model: string) =>
      metricValue(METRIC.spendUsd, { provider, model });
    const before = {
      mini: await spend('openai', 'gpt-4o-mini'),
      gpt4o: await spend('other', 'gpt-4o'),
    };
    const spent = { promptTokens: 300, completionTokens: 100 };

    for (const [provider, model] of [
      ['openai', 'gpt-4o-mini-2024-07-18'],
      ['acme', 'gpt-4o'],
      ['openai', 'mystery'],
    ]) {
      const reservation = await budgets.reserve({
        provider,
        model,
        tokens: 1000,
      });
      await reservation.settle(spent);
    }

    // 300 × 0.15 + 100 × 0.60 micro-dollars; 300 × 2.50 + 100 × 10.00.
    expect((await spend('openai', 'gpt-4o-mini')) - before.mini).toBeCloseTo(
      0.000105,
      12,
    );
    expect((await spend('other', 'gpt-4o')) - before.gpt4o).toBeCloseTo(
      0.00175,
      12,
    );
    const labels = (
      await register.getSingleMetric(METRIC.spendUsd)!.get()
    ).values.map(({ labels }) => `${labels.provider}/${labels.model}`);
    expect(labels).toContain('openai/other');
    expect(labels.join()).not.toMatch(/acme|mystery|2024/);
  });

  it('shows what is left and what is used up in gauges, /ready and the log', async () => {
    const moduleRef = await start({
      BUDGET_DAY_TOKENS: '1000',
      BUDGET_MONTH_USD: '2.5',
    });
    const budgets = moduleRef.get(BudgetLedger);
    const remaining = (period: string, unit: string) =>
      metricValue(METRIC.budgetRemaining, { period, unit });
    const exhausted = (period: string, unit: string) =>
      metricValue(METRIC.budgetExhausted, { period, unit });
    const ready = budgetCheck(moduleRef);

    expect(await remaining('day', 'tokens')).toBe(1000);
    expect(await remaining('month', 'usd')).toBe(2.5);
    expect(await exhausted('day', 'tokens')).toBe(0);
    await expect(ready()).resolves.toBeUndefined();

    const reservation = await budgets.reserve({
      provider: 'openai',
      model: 'gpt-4o-mini',
      tokens: 1000,
    });
    await reservation.settle({ promptTokens: 900, completionTokens: 100 });

    expect(await remaining('day', 'tokens')).toBe(0);
    // 900 × 0.15 + 100 × 0.60 = 195 micro-dollars.
    expect(await remaining('month', 'usd')).toBeCloseTo(2.5 - 0.000195, 9);
    expect(await exhausted('day', 'tokens')).toBe(1);
    expect(await exhausted('month', 'usd')).toBe(0);
    await expect(ready()).rejects.toThrow(
      'the daily token budget (1,000) is used up until 2026-12-02T00:00:00.000Z',
    );
    expect(logger.containing('is used up until')).toHaveLength(1);

    now = Date.parse('2026-12-02T00:00:00.000Z');

    await expect(ready()).resolves.toBeUndefined();
    expect(await exhausted('day', 'tokens')).toBe(0);
    expect(await remaining('day', 'tokens')).toBe(1000);
    expect(
      logger.containing('the budgets have room again: work resumes'),
    ).toHaveLength(1);
  });

  it('labels every budget’s gauges with its scope; a used-up scoped one leaves /ready passing', async () => {
    const budgetFile = join(dir, 'budgets.json');
    writeFileSync(
      budgetFile,
      JSON.stringify({
        budgets: [
          { period: 'week', tokens: 1000, provider: 'openai' },
          { period: 'week', usd: 50, model: 'gpt-4o*' },
          { period: 'week', tokens: 3000, provider: 'openai', model: 'o*' },
        ],
      }),
    );
    const moduleRef = await start({
      BUDGET_WEEK_TOKENS: '5000',
      BUDGET_FILE: budgetFile,
    });
    const budgets = moduleRef.get(BudgetLedger);
    const gauge = (name: string, scope: string) =>
      metricValue(name, { period: 'week', scope });
    const ready = budgetCheck(moduleRef);

    expect(await gauge(METRIC.budgetLimit, 'all')).toBe(5000);
    expect(await gauge(METRIC.budgetLimit, 'provider:openai')).toBe(1000);
    expect(await gauge(METRIC.budgetLimit, 'model:gpt-4o*')).toBe(50);
    expect(await gauge(METRIC.budgetLimit, 'provider:openai,model:o*')).toBe(
      3000,
    );

    await budgets.reserve({ provider: 'openai', model: 'o3', tokens: 1000 });

    expect(await gauge(METRIC.budgetRemaining, 'all')).toBe(4000);
    expect(await gauge(METRIC.budgetRemaining, 'provider:openai')).toBe(0);
    expect(
      await gauge(METRIC.budgetRemaining, 'provider:openai,model:o*'),
    ).toBe(2000);
    expect(await gauge(METRIC.budgetRemaining, 'model:gpt-4o*')).toBe(50);
    expect(await gauge(METRIC.budgetExhausted, 'provider:openai')).toBe(1);
    expect(await gauge(METRIC.budgetExhausted, 'all')).toBe(0);
    // Only the openai requests wait: the service stays ready.
    await expect(ready()).resolves.toBeUndefined();
    expect(budgets.usage().map(({ budget }) => budget)).toEqual([
      { period: 'week', unit: 'tokens', limit: 5000 },
      { period: 'week', unit: 'tokens', limit: 1000, provider: 'openai' },
      { period: 'week', unit: 'usd', limit: 50, model: 'gpt-4o*' },
      {
        period: 'week',
        unit: 'tokens',
        limit: 3000,
        provider: 'openai',
        model: 'o*',
      },
    ]);
  });
});
