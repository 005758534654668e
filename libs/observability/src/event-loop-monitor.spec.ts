import { EventLoopMonitor } from './event-loop-monitor.js';

const blockLoopFor = (ms: number) => {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // a blocked loop
  }
};
const nextTurns = async () => {
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setTimeout(resolve, 25));
};

describe('EventLoopMonitor', () => {
  it('reports a stall longer than the limit, and forgets it two windows later', async () => {
    // Windows are ended by hand: the hour-long interval never fires here.
    const monitor = new EventLoopMonitor({ stallMs: 100, windowMs: 3_600_000 });
    monitor.onModuleInit();
    try {
      await nextTurns();
      expect(monitor.isStalled()).toBe(false);

      blockLoopFor(250);
      await nextTurns();
      expect(monitor.recentMaxDelayMs()).toBeGreaterThan(200);
      expect(monitor.isStalled()).toBe(true);

      monitor.startWindow();
      expect(monitor.isStalled()).toBe(true);
      monitor.startWindow();
      expect(monitor.isStalled()).toBe(false);
    } finally {
      monitor.onModuleDestroy();
    }
  });
});
