import { BrokenCircuitError, CircuitState } from 'cockatiel';
import type { BreakerMonitor } from '@app/observability';
import { UpstreamError } from './upstream-error.js';
import {
  type UpstreamPolicyOptions,
  lastFailureText,
  upstreamPolicies,
} from './upstream-policies.js';

class Outage extends UpstreamError {
  readonly transient = true;

  constructor(
    message: string,
    override readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}

class Refusal extends Error {}

function build(overrides: Partial<UpstreamPolicyOptions> = {}) {
  const warnings: string[] = [];
  const watched: string[] = [];
  const monitor = {
    watch: (service: string) => void watched.push(service),
  } as unknown as BreakerMonitor;
  const policies = upstreamPolicies(
    {
      service: 'api',
      settings: { maxRetries: 2, breakerThreshold: 2, breakerResetMs: 60_000 },
      delays: { initialDelayMs: 1, maxDelayMs: 2 },
      maxRetryAfterMs: 30,
      isRetryable: (error) => error instanceof Outage,
      isBreakerFailure: (error) => error instanceof Outage,
      logger: { warn: (line) => warnings.push(line) },
      describe: (error) => `call failed (${(error as Error).message})`,
      ...overrides,
    },
    monitor,
  );
  return { policies, warnings, watched };
}

/** Runs `failure` through the retry and breaker; answers how many attempts were made. */
async function attempts(
  policies: ReturnType<typeof build>['policies'],
  failure: () => Error,
): Promise<number> {
  let count = 0;
  await policies.retryThroughBreaker
    .execute(() => {
      count++;
      throw failure();
    })
    .catch(() => undefined);
  return count;
}

describe('upstreamPolicies', () => {
  it('registers its breaker with the monitor under the upstream name', () => {
    expect(build().watched).toEqual(['api']);
  });

  it('retries what it is told to, and logs each retry', async () => {
    const { policies, warnings } = build({
      settings: { maxRetries: 2, breakerThreshold: 10, breakerResetMs: 60_000 },
    });
    expect(await attempts(policies, () => new Outage('503'))).toBe(3);
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(
      /^call failed \(503\); retry 1 of 2 in \d+ ms$/,
    );
    expect(await attempts(policies, () => new Refusal('400'))).toBe(1);
  });

  it('waits what Retry-After asks for, unless that is beyond the budget', async () => {
    const { policies, warnings } = build({
      settings: { maxRetries: 1, breakerThreshold: 10, breakerResetMs: 60_000 },
    });
    expect(await attempts(policies, () => new Outage('429', 30))).toBe(2);
    expect(warnings).toEqual(['call failed (429); retry 1 of 1 in 30 ms']);
    expect(await attempts(policies, () => new Outage('429', 31))).toBe(1);
  });

  it('opens after consecutive failures and names the last one', async () => {
    const { policies } = build({
      settings: { maxRetries: 0, breakerThreshold: 2, breakerResetMs: 60_000 },
    });
    expect(lastFailureText(policies.breaker)).toBe('');
    await attempts(policies, () => new Refusal('400'));
    await attempts(policies, () => new Outage('first'));
    await attempts(policies, () => new Outage('second'));
    expect(policies.breaker.state).toBe(CircuitState.Open);
    expect(lastFailureText(policies.breaker)).toBe(' (last failure: second)');
    await expect(
      policies.retryThroughBreaker.execute(() => 'answer'),
    ).rejects.toBeInstanceOf(BrokenCircuitError);
  });
});
