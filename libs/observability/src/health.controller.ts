import { Controller, Get } from '@nestjs/common';
import {
  HealthCheck,
  HealthCheckService,
  HealthIndicatorService,
} from '@nestjs/terminus';
import { ReadinessRegistry } from './readiness.registry.js';

const errorMessage = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

@Controller()
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    private readonly readiness: ReadinessRegistry,
  ) {}

  /** Liveness: answering at all means the event loop turns. */
  @Get('health')
  @HealthCheck()
  live() {
    return this.health.check([
      () =>
        this.indicators
          .check('process')
          .up({ uptimeSeconds: Math.round(process.uptime()) }),
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
          await check();
          return indicator.up();
        } catch (error) {
          return indicator.down({ reason: errorMessage(error) });
        }
      }),
    );
  }
}
