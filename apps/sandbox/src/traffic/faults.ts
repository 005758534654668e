import { Injectable } from '@nestjs/common';
import {
  FAULT_TARGETS,
  type FaultPoint,
  type FaultTarget,
  type GarbageTarget,
} from './routes.js';

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
  /** How many of the next calls of the target get garbage; 1 by default. */
  count?: number;
  kind?: GarbageKind;
  /** `pending` (the default), `chat` or `wikidata`. */
  target?: GarbageTarget;
}

export interface GarbageView {
  remaining: number;
  kind: GarbageKind;
}

/**
 * What a chat model can do wrong with a well-formed request: refuse
 * (`message.refusal`), stop at the token limit mid-answer (`finish_reason:
 * "length"`), or answer JSON that ignores the requested schema.
 */
export const CHAT_FAULT_KINDS = ['refuse', 'truncate', 'off_schema'] as const;
export type ChatFaultKind = (typeof CHAT_FAULT_KINDS)[number];

export interface ChatFault {
  kind: ChatFaultKind;
  /** For the next `count` completions that would have succeeded; until reset without it. */
  count?: number;
}

export interface ChatFaultView {
  kind: ChatFaultKind;
  /** Infinity (`null` over HTTP): until reset. */
  remaining: number;
}

/** Wikidata's replication lag, which requests carrying `maxlag` below it are refused for. */
export interface LagFault {
  /** The lag reported, in seconds; 0 removes the fault. */
  seconds: number;
  /** For the next `count` refusals; until reset without it. */
  count?: number;
}

export interface LagFaultView {
  seconds: number;
  /** Infinity (`null` over HTTP): until reset. */
  remaining: number;
}

/** An error fault in force; routes of one target share it, so `count` is shared too. */
export interface ActiveError {
  status: number;
  remaining: number;
  untilMs: number;
  retryAfterMs?: number;
  message?: string;
}

/**
 * The faults in force. The last three fields are left out while nothing of
 * their kind is in force, so that the view of a sandbox without them stays
 * `{latencyMs, errors, garbage}`.
 */
export interface FaultsView {
  latencyMs: Partial<Record<FaultPoint, number>>;
  errors: Partial<Record<FaultPoint, ActiveError>>;
  /** Garbage on `/pending`. */
  garbage: GarbageView | null;
  /** Garbage on the chat and Wikidata routes. */
  garbageOn?: Partial<Record<Exclude<GarbageTarget, 'pending'>, GarbageView>>;
  chat?: ChatFaultView;
  wikidataLag?: LagFaultView;
}

/** The faults in force. The traffic middleware consults it on every request. */
@Injectable()
export class Faults {
  private latency = new Map<FaultPoint, number>();
  private errors = new Map<FaultPoint, ActiveError>();
  private garbage = new Map<GarbageTarget, GarbageView>();
  private chat: { kind: ChatFaultKind; remaining: number } | undefined;
  private lag: { seconds: number; remaining: number } | undefined;

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

  addGarbage({
    count = 1,
    kind = 'truncated-json',
    target = 'pending',
  }: GarbageFault): void {
    this.garbage.set(target, { remaining: count, kind });
  }

  /** One chat fault at a time: a new one replaces it. */
  addChatFault({ kind, count }: ChatFault): void {
    this.chat = { kind, remaining: count ?? Infinity };
  }

  addLag({ seconds, count }: LagFault): void {
    this.lag =
      seconds > 0 ? { seconds, remaining: count ?? Infinity } : undefined;
  }

  reset(): void {
    this.latency = new Map();
    this.errors = new Map();
    this.garbage = new Map();
    this.chat = undefined;
    this.lag = undefined;
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

  takeGarbage(target: GarbageTarget = 'pending'): GarbageKind | undefined {
    const garbage = this.garbage.get(target);
    if (!garbage || garbage.remaining <= 0) return undefined;
    garbage.remaining -= 1;
    return garbage.kind;
  }

  /** The chat fault this completion must show, if any; counts it against the fault. */
  takeChatFault(): ChatFaultKind | undefined {
    if (!this.chat || this.chat.remaining <= 0) return undefined;
    this.chat.remaining -= 1;
    return this.chat.kind;
  }

  /**
   * The lag that refuses a request asking for `maxlag` seconds at most, if
   * any (MediaWiki refuses when the lag exceeds it); counts the refusal.
   */
  takeLag(maxlag: number): number | undefined {
    if (!this.lag || this.lag.remaining <= 0 || this.lag.seconds <= maxlag)
      return undefined;
    this.lag.remaining -= 1;
    return this.lag.seconds;
  }

  view(): FaultsView {
    const now = Date.now();
    const errors = [...this.errors].filter(
      ([, fault]) => fault.remaining > 0 && fault.untilMs > now,
    );
    const pending = this.garbage.get('pending');
    const garbageOn = [...this.garbage].filter(
      ([target, garbage]) => target !== 'pending' && garbage.remaining > 0,
    );
    return {
      latencyMs: Object.fromEntries(this.latency),
      errors: Object.fromEntries(errors),
      garbage: pending?.remaining ? { ...pending } : null,
      ...(garbageOn.length
        ? {
            garbageOn: Object.fromEntries(
              garbageOn.map(([target, garbage]) => [target, { ...garbage }]),
            ),
          }
        : {}),
      ...(this.chat && this.chat.remaining > 0
        ? {
            chat: { ...this.chat },
          }
        : {}),
      ...(this.lag && this.lag.remaining > 0
        ? {
            wikidataLag: { ...this.lag },
          }
        : {}),
    };
  }
}
