import type { TestingModule } from '@nestjs/testing';
import { Redis } from 'ioredis';
import { type RedisServer, startRedisServer } from '@app/budgets/testing';
import { VALID_ENVIRONMENT } from '@app/config/testing';
import {
  CapturingLogger,
  startLibraryModule,
} from '@app/observability/testing';
import { isTransient } from '@app/resilience';
import { waitUntil } from '../../../test/support/eventually.js';
import {
  BudgetStoreUnavailableError,
  BudgetUsedUpError,
} from './budget-errors.js';
import { BudgetLedger, type BudgetRequest } from './budget-ledger.js';
import { BUDGET_CLOCK } from './budgets.constants.js';
import { BudgetsModule } from './budgets.module.js';

const TUESDAY_NOON = Date.parse('2026-12-01T12:00:00.000Z');

const request = (tokens: number): BudgetRequest => ({
  provider: 'openai',
  model: 'gpt-4o-mini',
  tokens,
});

/** A small seeded generator (mulberry32): the same "random" sizes every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('BudgetLedger on Redis', () => {
  let redis: RedisServer;
  let admin: Redis;
  let logger: CapturingLogger;
  const modules: TestingModule[] = [];
  const servers: RedisServer[] = [];

  beforeAll(async () => {
    redis = await startRedisServer();
    admin = new Redis(redis.url);
  });

  afterAll(async () => {
    admin?.disconnect();
    await redis?.stop();
  });

  beforeEach(async () => {
    await admin.flushall();
    logger = new CapturingLogger();
  });

  afterEach(async () => {
    for (const moduleRef of modules.splice(0)) await moduleRef.close();
    for (const server of servers.splice(0)) await server.stop();
  });

  /** One replica of the service: its own module, client and status. */
  async function replica(
    env: Record<string, string>,
    url = redis.url,
  ): Promise<TestingModule> {
    const moduleRef = await startLibraryModule({
      env: {
        ...VALID_ENVIRONMENT,
        BUDGET_STORE: 'redis',
        REDIS_URL: url,
        ...env,
      },
      imports: [BudgetsModule],
      overrides: [[BUDGET_CLOCK, () => TUESDAY_NOON]],
      logger,
    });
    modules.push(moduleRef);
    return moduleRef;
  }

  it('keeps two replicas reserving at once within one limit, counting only what was let through', async () => {
    const LIMIT = 10_000;
    const env = { BUDGET_DAY_TOKENS: String(LIMIT) };
    const replicas = (await Promise.all([replica(env), replica(env)])).map(
      (moduleRef) => moduleRef.get(BudgetLedger),
    );
    const random = seeded(20261201);
    // 500 requests of 1 to 100 tokens: about 2.5 times the limit.
    const sizes = Array.from(
      { length: 500 },
      () => 1 + Math.floor(random() * 100),
    );
    let next = 0;
    let granted = 0;
    const refusals: unknown[] = [];
    // Ten workers per replica, each reserving one request after another.
    const worker = async (ledger: BudgetLedger) => {
      while (next < sizes.length) {
        const tokens = sizes[next++];
        try {
          await ledger.reserve(request(tokens));
          granted += tokens;
        } catch (error) {
          refusals.push(error);
        }
      }
    };

    await Promise.all(
      Array.from({ length: 20 }, (_, index) => worker(replicas[index % 2])),
    );

    expect(granted).toBeLessThanOrEqual(LIMIT);
    // Refusals racing for the last room may leave a little unused.
    expect(granted).toBeGreaterThan(LIMIT * 0.95);
    expect(refusals.length).toBeGreaterThan(0);
    expect(refusals.every((error) => error instanceof BudgetUsedUpError)).toBe(
      true,
    );
    expect(Number(await admin.get('budget:day:tokens:2026-12-01'))).toBe(
      granted,
    );
    // Used up: what is left is less than a request, and each replica says so.
    for (const ledger of replicas) {
      await ledger.refresh();
      expect(ledger.usage()[0].used).toBe(granted);
      await expect(
        ledger.reserve(request(LIMIT - granted + 1)),
      ).rejects.toThrow(BudgetUsedUpError);
      expect(ledger.status()).toMatchObject({
        kind: 'used_up',
        until: new Date('2026-12-02T00:00:00.000Z'),
      });
    }
    expect(Number(await admin.get('budget:day:tokens:2026-12-01'))).toBe(
      granted,
    );
  });

  it('shares settles and cancels between replicas', async () => {
    const env = { BUDGET_DAY_TOKENS: '1000' };
    const [first, second] = (
      await Promise.all([replica(env), replica(env)])
    ).map((moduleRef) => moduleRef.get(BudgetLedger));

    const reservation = await first.reserve(request(900));
    await expect(second.reserve(request(200))).rejects.toThrow(
      BudgetUsedUpError,
    );
    await reservation.settle({ promptTokens: 500, completionTokens: 100 });
    // The second replica learns the room from the counters.
    await second.refresh();
    expect(second.status()).toEqual({ kind: 'open' });
    const cancelled = await second.reserve(request(200));
    await cancelled.cancel();

    expect(Number(await admin.get('budget:day:tokens:2026-12-01'))).toBe(600);
  });

  it('fails reservations transiently while Redis is away, never as used up, and recovers by itself', async () => {
    const own = await startRedisServer();
    servers.push(own);
    const budgets = (await replica({ BUDGET_DAY_TOKENS: '1000' }, own.url)).get(
      BudgetLedger,
    );
    await budgets.reserve(request(100));

    await own.stop();

    const error = await budgets.reserve(request(100)).then(
      () => expect.fail('expected the reservation to fail'),
      (failure: unknown) => failure as Error,
    );
    expect(error).toBeInstanceOf(BudgetStoreUnavailableError);
    expect(isTransient(error)).toBe(true);
    expect(error.message).toMatch(
      /^the budget store \(redis\) could not count usage: /,
    );
    expect(error.message).not.toContain(own.url);
    expect(budgets.status()).toEqual({ kind: 'open' });
    await expect(budgets.refresh()).rejects.toThrow(
      BudgetStoreUnavailableError,
    );

    // The same Redis comes back, empty (no snapshots).
    servers.push(await startRedisServer({ port: own.port }));

    await waitUntil(
      () =>
        budgets.reserve(request(100)).then(
          () => true,
          (failure: unknown) => {
            if (failure instanceof BudgetStoreUnavailableError) return false;
            throw failure;
          },
        ),
      'reservations succeed again',
      { timeoutMs: 15_000, intervalMs: 50 },
    );
    await budgets.refresh();
    expect(budgets.usage()[0].used).toBe(100);
    // Once per outage, however many attempts failed.
    expect(logger.containing('Redis (budgets) is unreachable')).toHaveLength(1);
    expect(logger.containing('Redis (budgets) answers again')).toHaveLength(1);
  });

  it('closes its connection when the application shuts down', async () => {
    const clients = async () =>
      String(await admin.call('CLIENT', 'LIST'))
        .trim()
        .split('\n').length;
    const alone = await clients();
    await replica({ BUDGET_DAY_TOKENS: '1000' });
    expect(await clients()).toBe(alone + 1);

    await modules.pop()?.close();

    await waitUntil(
      async () => (await clients()) === alone,
      'the ledger’s connection is closed',
      { timeoutMs: 5_000, intervalMs: 20 },
    );
  });
});
