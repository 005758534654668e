import {
  Inject,
  Injectable,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { monitorEventLoopDelay } from 'node:perf_hooks';

/** When a late event loop counts as stalled, for `/health`. */
export interface EventLoopStallLimits {
  /** A single delay longer than this fails liveness. */
  stallMs: number;
  /** Delays are remembered for one to two windows of this length. */
  windowMs: number;
}

export const EVENT_LOOP_STALL_LIMITS = Symbol('EVENT_LOOP_STALL_LIMITS');

/**
 * 5 s: far beyond any healthy turn of the loop (a 1,000-task page is parsed
 * in milliseconds), short enough that a wedged process is restarted. 10 s
 * windows: a past stall stops failing the check within 20 s, so one hiccup
 * does not add up to the three failed probes that restart a pod.
 */
export const DEFAULT_EVENT_LOOP_STALL_LIMITS: EventLoopStallLimits = {
  stallMs: 5_000,
  windowMs: 10_000,
};

/** Samples the loop's lateness every 20 ms, like prom-client's lag metrics. */
const RESOLUTION_MS = 20;

/**
 * Measures how late the event loop runs timers. A process whose loop is
 * blocked cannot answer `/health` at all; one that blocks for seconds at a
 * time answers in between, and this is what tells the probe so.
 */
@Injectable()
export class EventLoopMonitor implements OnModuleInit, OnModuleDestroy {
  private readonly histogram = monitorEventLoopDelay({
    resolution: RESOLUTION_MS,
  });
  private previousWindowMaxMs = 0;
  private rotation?: NodeJS.Timeout;

  constructor(
    @Inject(EVENT_LOOP_STALL_LIMITS)
    readonly limits: EventLoopStallLimits,
  ) {}

  onModuleInit(): void {
    this.histogram.enable();
    this.rotation = setInterval(
      () => this.startWindow(),
      this.limits.windowMs,
    ).unref();
  }

  /** Ends the current window: its delays are remembered one window more. */
  startWindow(): void {
    this.previousWindowMaxMs = this.currentWindowMaxMs();
    this.histogram.reset();
  }

  onModuleDestroy(): void {
    clearInterval(this.rotation);
    this.histogram.disable();
  }

  /** The longest delay seen in this window and the one before, in ms. */
  recentMaxDelayMs(): number {
    return Math.max(this.previousWindowMaxMs, this.currentWindowMaxMs());
  }

  isStalled(): boolean {
    return this.recentMaxDelayMs() > this.limits.stallMs;
  }

  private currentWindowMaxMs(): number {
    // Before the first sample the histogram's max is 0.
    return this.histogram.max / 1e6;
  }
}
