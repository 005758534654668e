import { Injectable, Logger } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import type { Counter, Gauge } from 'prom-client';
import { METRIC } from './metrics.js';

/** The upstreams whose rate limits are kept, as named by the `service` label. */
export type ThrottledService = 'api' | 'auth';

/** What the monitor needs of a rate-limit gate (`@app/resilience`). */
export interface ObservableGate {
  listen(listener: {
    throttled?(): void;
    paused?(untilMs: number): void;
    held?(ms: number): void;
  }): void;
  pauseRemainingMs(): number;
}

/**
 * Mirrors a rate-limit gate in `api_throttled_total`,
 * `api_throttle_pause_seconds` and `api_throttled_seconds_total`, and logs
 * each pause once.
 */
@Injectable()
export class ThrottleMonitor {
  private readonly logger = new Logger(ThrottleMonitor.name);

  constructor(
    @InjectMetric(METRIC.throttled)
    private readonly throttled: Counter<'service'>,
    @InjectMetric(METRIC.throttlePause)
    private readonly pause: Gauge<'service'>,
    @InjectMetric(METRIC.throttledSeconds)
    private readonly heldSeconds: Counter<'service'>,
  ) {}

  watch(service: ThrottledService, gate: ObservableGate): void {
    this.pause.set({ service }, 0);
    this.throttled.inc({ service }, 0);
    this.heldSeconds.inc({ service }, 0);
    let clear: NodeJS.Timeout | undefined;
    gate.listen({
      throttled: () => this.throttled.inc({ service }),
      held: (ms) => this.heldSeconds.inc({ service }, ms / 1000),
      paused: () => {
        const ms = gate.pauseRemainingMs();
        this.pause.set({ service }, ms / 1000);
        this.logger.warn(
          `${service === 'api' ? 'tasks API' : 'token endpoint'} rate limit: calls paused for ${Math.ceil(ms / 100) / 10} s`,
        );
        clearTimeout(clear);
        // The gauge shows the pause while it lasts; nothing else keeps the process alive for it.
        clear = setTimeout(
          () => this.pause.set({ service }, gate.pauseRemainingMs() / 1000),
          ms,
        ).unref();
      },
    });
  }
}
