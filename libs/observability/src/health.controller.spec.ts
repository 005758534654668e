import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ConfigModule } from '@app/config';
import {
  EVENT_LOOP_STALL_LIMITS,
  EventLoopMonitor,
} from './event-loop-monitor.js';
import { ObservabilityModule } from './observability.module.js';
import { ReadinessRegistry } from './readiness-registry.js';

const ENV = {
  API_BASE_URL: 'http://127.0.0.1:9',
  OAUTH2_TOKEN_URL: 'http://127.0.0.1:9/oauth2/token',
  OAUTH2_CLIENT_ID: 'client',
  OAUTH2_CLIENT_SECRET: 'secret',
};

/** One indicator's entry in a terminus answer. */
interface IndicatorResult {
  status: 'up' | 'down';
  reason?: string;
  [detail: string]: unknown;
}

/** The JSON body terminus answers `/health` and `/ready` with. */
interface HealthBody {
  status: 'ok' | 'error';
  info: Record<string, IndicatorResult>;
  error: Record<string, IndicatorResult>;
  details: Record<string, IndicatorResult>;
}

/** Blocks the event loop, as a runaway synchronous computation would. */
function blockEventLoop(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

describe('/health and /ready', () => {
  let app: INestApplication;
  let url: string;

  beforeEach(async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot({ env: ENV }), ObservabilityModule],
    })
      .overrideProvider(EVENT_LOOP_STALL_LIMITS)
      .useValue({ stallMs: 150, windowMs: 60_000 })
      .compile();
    app = moduleRef.createNestApplication({ logger: false });
    await app.listen(0, '127.0.0.1');
    url = await app.getUrl();
  });
  afterEach(async () => {
    await app.close();
  });

  const get = async (path: string) => {
    const response = await fetch(`${url.replace('[::1]', '127.0.0.1')}${path}`);
    return {
      status: response.status,
      body: (await response.json()) as HealthBody,
    };
  };

  it('/health is up with the event loop measured, and 503 naming event_loop after a stall', async () => {
    const healthy = await get('/health');
    expect(healthy.status).toBe(200);
    expect(healthy.body.status).toBe('ok');
    expect(healthy.body.details.event_loop).toMatchObject({
      status: 'up',
      stallMs: 150,
    });
    expect(healthy.body.details.process.status).toBe('up');

    // Let the monitor take a sample, then hold the loop past the limit.
    await new Promise((resolve) => setTimeout(resolve, 50));
    blockEventLoop(400);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(app.get(EventLoopMonitor).recentMaxDelayMs()).toBeGreaterThan(300);

    const stalled = await get('/health');
    expect(stalled.status).toBe(503);
    expect(stalled.body.status).toBe('error');
    expect(Object.keys(stalled.body.error)).toEqual(['event_loop']);
    expect(stalled.body.error.event_loop.status).toBe('down');
    expect(stalled.body.error.event_loop.reason).toMatch(
      /^the event loop was blocked for \d+ ms \(limit 150 ms\)$/,
    );
    expect(stalled.body.info.process.status).toBe('up');
  });

  it('/ready is 200 when every check passes and 503 naming each failing check with its reason', async () => {
    const registry = app.get(ReadinessRegistry);
    registry.register('always', () => undefined);
    expect(await get('/ready')).toMatchObject({
      status: 200,
      body: { status: 'ok', info: { always: { status: 'up' } }, error: {} },
    });

    registry.register('upstream', async () => {
      throw new Error('the upstream is down');
    });
    expect(await get('/ready')).toEqual({
      status: 503,
      body: {
        status: 'error',
        info: { always: { status: 'up' } },
        error: { upstream: { status: 'down', reason: 'the upstream is down' } },
        details: {
          always: { status: 'up' },
          upstream: { status: 'down', reason: 'the upstream is down' },
        },
      },
    });
  });
});
