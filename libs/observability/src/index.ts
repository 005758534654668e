export { ObservabilityModule } from './observability.module.js';
export { configureHttpServer } from './http-server.js';
export { METRIC } from './metrics.js';
export {
  ReadinessRegistry,
  type ReadinessCheck,
} from './readiness-registry.js';
export {
  InjectMetric,
  getToken as getMetricToken,
} from '@willsoto/nestjs-prometheus';
export { BreakerMonitor, type BreakerService } from './breaker-monitor.js';
export {
  ThrottleMonitor,
  type ObservableGate,
  type ThrottledService,
} from './throttle-monitor.js';
