import {
  type LifecycleTimings,
  defaultLifecycleTimings,
} from '../lifecycle-timings.js';

interface Wait {
  at: number;
  order: number;
  elapse: () => void;
}

/** The most waits one `advance` may see elapse: a test that needs more is a loop. */
const MAX_WAITS_PER_ADVANCE = 10_000;

/**
 * Lets every promise chain that waits on nothing but other promises (the
 * fakes here answer at once) run to its end: the microtask queue is drained
 * before the event loop reaches the check phase.
 */
export const settle = (): Promise<void> =>
  new Promise((resolve) => setImmediate(resolve));

/**
 * The lifecycle's clock and timer, moved only by the test: `advance` makes
 * time pass and elapses each wait that falls due, in order, letting what
 * each one starts settle before the next.
 */
export class ManualClock {
  private current: number;
  private order = 0;
  private waits: Wait[] = [];

  constructor(start = 1_700_000_000_000) {
    this.current = start;
  }

  readonly now = (): number => this.current;

  readonly delay = (ms: number, signal: AbortSignal): Promise<boolean> => {
    if (signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const wait: Wait = {
        at: this.current + Math.max(0, ms),
        order: this.order++,
        elapse: () => {
          signal.removeEventListener('abort', onAbort);
          resolve(true);
        },
      };
      const onAbort = () => {
        this.waits = this.waits.filter((other) => other !== wait);
        resolve(false);
      };
      signal.addEventListener('abort', onAbort, { once: true });
      this.waits.push(wait);
    });
  };

  /** The lifecycle timings with this clock, and `overrides`. */
  timings(overrides: Partial<LifecycleTimings> = {}): LifecycleTimings {
    return {
      ...defaultLifecycleTimings,
      ...overrides,
      now: this.now,
      delay: this.delay,
    };
  }

  /** How far ahead each pending wait falls due, soonest first. */
  get pendingWaits(): number[] {
    return this.waits.map(({ at }) => at - this.current).sort((a, b) => a - b);
  }

  /** Moves time on by `ms`, elapsing the waits that fall due on the way. */
  async advance(ms: number): Promise<void> {
    const until = this.current + ms;
    for (let elapsed = 0; ; elapsed++) {
      await settle();
      const due = this.waits
        .filter(({ at }) => at <= until)
        .sort((a, b) => a.at - b.at || a.order - b.order)[0];
      if (!due) break;
      if (elapsed >= MAX_WAITS_PER_ADVANCE)
        throw new Error(
          `more than ${MAX_WAITS_PER_ADVANCE} waits elapsed in one advance`,
        );
      this.waits = this.waits.filter((wait) => wait !== due);
      this.current = due.at;
      due.elapse();
    }
    this.current = until;
    await settle();
  }
}
