import { waitUntil } from '../../../test/support/eventually.js';
import { EventLoopMonitor } from './event-loop-monitor.js';

describe('EventLoopMonitor', () => {
  it('reports a stall longer than the limit, and forgets it two windows later', async () => {
    const monitor = new EventLoopMonitor({ stallMs: 100, windowMs: 100 });
    monitor.onModuleInit();
    try {
      await new Promise((resolve) => setTimeout(resolve, 30));
      expect(monitor.isStalled()).toBe(false);

      const until = performance.now() + 250;
      while (performance.now() < until) {
        // a blocked loop
      }
      await new Promise((resolve) => setImmediate(resolve));
      await new Promise((resolve) => setTimeout(resolve, 25));
      expect(monitor.recentMaxDelayMs()).toBeGreaterThan(200);
      expect(monitor.isStalled()).toBe(true);

      await waitUntil(() => !monitor.isStalled(), 'the stall is forgotten', {
        timeoutMs: 2_000,
        intervalMs: 20,
      });
    } finally {
      monitor.onModuleDestroy();
    }
  });
});
