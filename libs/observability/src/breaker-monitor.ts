import { Injectable, Logger } from '@nestjs/common';
import { InjectMetric } from '@willsoto/nestjs-prometheus';
import { type CircuitBreakerPolicy, CircuitState } from 'cockatiel';
import type { Gauge } from 'prom-client';
import { METRIC } from './metrics.js';

/** The upstreams that have a breaker, as named by `circuit_breaker_state{service}`. */
/**
 * The `service` label of a breaker: `api`, `auth`, `openai`, `chat`,
 * `wikidata`, or a configured provider's (`embeddings_<name>`,
 * `chat_<name>`): names from the configuration, so the label stays bounded.
 */
export type BreakerService = string;

const GAUGE_VALUE: Record<CircuitState, number> = {
  [CircuitState.Closed]: 0,
  [CircuitState.Open]: 1,
  [CircuitState.HalfOpen]: 2,
  [CircuitState.Isolated]: 1,
};

const DESCRIPTION: Record<CircuitState, string> = {
  [CircuitState.Closed]: 'closed: calls flow again',
  [CircuitState.Open]: 'open: calls fail fast until the trial call',
  [CircuitState.HalfOpen]: 'half-open: letting a trial call through',
  [CircuitState.Isolated]: 'isolated: held open by hand',
};

/**
 * Follows a cockatiel breaker: each transition is logged once and mirrored
 * in `circuit_breaker_state{service}`. `upstreamPolicies` (`@app/resilience`)
 * registers every breaker it builds; this library does not import that one.
 */
@Injectable()
export class BreakerMonitor {
  private readonly logger = new Logger(BreakerMonitor.name);

  constructor(
    @InjectMetric(METRIC.breakerState) private readonly gauge: Gauge<'service'>,
  ) {}

  watch(service: BreakerService, breaker: CircuitBreakerPolicy): void {
    this.gauge.set({ service }, GAUGE_VALUE[breaker.state]);
    breaker.onStateChange((state) => {
      this.gauge.set({ service }, GAUGE_VALUE[state]);
      const line = `${service} circuit breaker ${DESCRIPTION[state]}`;
      if (state === CircuitState.Closed) this.logger.log(line);
      else this.logger.warn(line);
    });
  }
}
