import { Injectable } from '@nestjs/common';
import { FAULT_TARGETS, type FaultPoint, type FaultTarget } from './routes.js';

export interface LatencyFault {
  target: FaultTarget;
  /** Added before the route answers; 0 removes the latency. */
  ms: number;
}

export interface ErrorFault {
  target: FaultTarget;
  /** The status answered instead of the real one. */
  status: number;
  /** For the next `count` calls; with `durationMs`, whichever ends first; neither: until reset. */
  count?: number;
  /** For this long from now. */
  durationMs?: number;
  /** Sent as `retry-after` (seconds, rounded up) and `retry-after-ms`. 429 defaults to 1000. */
  retryAfterMs?: number;
  message?: string;
}

export const GARBAGE_KINDS = [
  'truncated-json',
  'html',
  'not-an-array',
] as const;
export type GarbageKind = (typeof GARBAGE_KINDS)[number];

export interface GarbageFault {
  /** How many of the next `/pending` calls get garbage; 1 by default. */
  count?: number;
  kind?: GarbageKind;
}

/** An error fault in force; routes of one target share it, so `count` is shared too. */
export interface ActiveError {
  status: number;
  remaining: number;
  untilMs: number;
  retryAfterMs?: number;
  message?: string;
}

export interface FaultsView {
  latencyMs: Partial<Record<FaultPoint, number>>;
  errors: Partial<Record<FaultPoint, ActiveError>>;
  garbage: { remaining: number; kind: GarbageKind } | null;
}

/** The faults in force. The traffic middleware consults it on every request. */
@Injectable()
export class Faults {
  private latency = new Map<FaultPoint, number>();
  private errors = new Map<FaultPoint, ActiveError>();
  private garbage: { remaining: number; kind: GarbageKind } | undefined;

  addLatency({ target, ms }: LatencyFault): void {
    for (const route of FAULT_TARGETS[target])
      if (ms > 0) this.latency.set(route, ms);
      else this.latency.delete(route);
  }

  addError(fault: ErrorFault): void {
    const active: ActiveError = {
      status: fault.status,
      remaining: fault.count ?? Infinity,
      untilMs:
        fault.durationMs === undefined
          ? Infinity
          : Date.now() + fault.durationMs,
      retryAfterMs:
        fault.retryAfterMs ?? (fault.status === 429 ? 1000 : undefined),
      message: fault.message,
    };
    for (const route of FAULT_TARGETS[fault.target])
      this.errors.set(route, active);
  }

  addGarbage({ count = 1, kind = 'truncated-json' }: GarbageFault): void {
    this.garbage = { remaining: count, kind };
  }

  reset(): void {
    this.latency = new Map();
    this.errors = new Map();
    this.garbage = undefined;
  }

  latencyFor(route: FaultPoint): number {
    return this.latency.get(route) ?? 0;
  }

  /** The error this call must answer, if any; counts the call against the fault. */
  takeError(route: FaultPoint): ActiveError | undefined {
    const fault = this.errors.get(route);
    if (!fault) return undefined;
    if (fault.remaining <= 0 || fault.untilMs <= Date.now()) {
      this.errors.delete(route);
      return undefined;
    }
    fault.remaining -= 1;
    return fault;
  }

  takeGarbage(): GarbageKind | undefined {
    if (!this.garbage || this.garbage.remaining <= 0) return undefined;
    this.garbage.remaining -= 1;
    return this.garbage.kind;
  }

  view(): FaultsView {
    const now = Date.now();
    const errors = [...this.errors].filter(
      ([, fault]) => fault.remaining > 0 && fault.untilMs > now,
    );
    return {
      latencyMs: Object.fromEntries(this.latency),
      errors: Object.fromEntries(errors),
      garbage: this.garbage?.remaining ? { ...this.garbage } : null,
    };
  }
}
