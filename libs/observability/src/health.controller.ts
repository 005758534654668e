import { Controller, Get } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
} from '@nestjs/terminus';
import { EventLoopMonitor } from './event-loop-monitor.js';
import { ReadinessRegistry } from './readiness-registry.js';

const errorMessage = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

/** Under a probe's usual timeout: a check that hangs answers "not ready", not nothing. */
const READINESS_CHECK_TIMEOUT_MS = 3_000;

function withinTimeout(work: Promise<void> | void): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(
          new Error(
            `the check did not answer within ${READINESS_CHECK_TIMEOUT_MS / 1000} s`,
          ),
        ),
      READINESS_CHECK_TIMEOUT_MS,
    );
  });
  return Promise.race([Promise.resolve(work), timeout]).finally(() =>
    clearTimeout(timer),
  );
}

@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly readiness: ReadinessRegistry,
    private readonly eventLoop: EventLoopMonitor,
  ) {}

  /**
   * Liveness: answering at all means the loop turns; `event_loop` fails when
   * it recently stalled for longer than the limit. Upstreams are not asked:
   * a restart cannot fix them.
   */
  @Get('health')
  @HealthCheck()
  live() {
    return this.health.check([
      () =>
        this.indicators
          .check('process')
          .up({ uptimeSeconds: Math.round(process.uptime()) }),
      () => {
        const indicator = this.indicators.check('event_loop');
        const details = {
          maxDelayMs: Math.round(this.eventLoop.recentMaxDelayMs()),
          stallMs: this.eventLoop.limits.stallMs,
        };
        return this.eventLoop.isStalled()
          ? indicator.down({
              ...details,
              reason: `the event loop was blocked for ${details.maxDelayMs} ms (limit ${details.stallMs} ms)`,
            })
          : indicator.up(details);
      },
    ]);
  }

  /** Readiness: 503 names every check that fails and why. */
  @Get('ready')
  @HealthCheck()
  ready() {
    return this.health.check(
      this.readiness.entries().map(([name, check]) => async () => {
        const indicator = this.indicators.check(name);
        try {
          await withinTimeout(check());
          return indicator.up();
        } catch (error) {
          return indicator.down({ reason: errorMessage(error) });
        }
      }),
    );
  }
}
