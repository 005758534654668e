import { BadRequestException } from '@nestjs/common';
import type {
  ProviderChanges,
  ProviderLimits,
} from '../providers/provider-settings.js';
import {
  CLIENT_AUTH_METHODS,
  SANDBOX_PROFILES,
  scopeList,
  type SandboxSwitches,
} from '../settings.js';
import type { CallbackFailure } from '../tasks/callback-dispatcher.js';
import type { SeedOptions } from '../tasks/task-seeder.js';
import { SEEDABLE_TYPES } from '../tasks/task-types.js';
import {
  CHAT_FAULT_KINDS,
  GARBAGE_KINDS,
  type ChatFault,
  type ErrorFault,
  type GarbageFault,
  type GarbageKind,
  type LagFault,
  type LatencyFault,
} from '../traffic/faults.js';
import {
  FAULT_TARGETS,
  GARBAGE_TARGETS,
  isFaultTarget,
} from '../traffic/routes.js';

/** Reads one admin request body, collecting every problem before answering 400. */
class Reader {
  private readonly problems: string[] = [];
  private readonly fields: Record<string, unknown>;

  constructor(body: unknown) {
    this.fields =
      typeof body === 'object' && body !== null && !Array.isArray(body)
        ? (body as Record<string, unknown>)
        : {};
  }

  integer(
    name: string,
    min: number,
    max = Number.MAX_SAFE_INTEGER,
  ): number | undefined {
    const value = this.fields[name];
    if (value === undefined) return undefined;
    if (
      typeof value === 'number' &&
      Number.isInteger(value) &&
      value >= min &&
      value <= max
    )
      return value;
    this.problems.push(`${name} must be an integer from ${min} to ${max}`);
    return undefined;
  }

  boolean(name: string): boolean | undefined {
    const value = this.fields[name];
    if (value === undefined || typeof value === 'boolean') return value;
    this.problems.push(`${name} must be true or false`);
    return undefined;
  }

  string(name: string): string | undefined {
    const value = this.fields[name];
    if (value === undefined || typeof value === 'string') return value;
    this.problems.push(`${name} must be a string`);
    return undefined;
  }

  choice<T extends string>(name: string, choices: readonly T[]): T | undefined {
    const value = this.fields[name];
    if (value === undefined) return undefined;
    if ((choices as readonly unknown[]).includes(value)) return value as T;
    this.problems.push(`${name} must be one of ${choices.join(', ')}`);
    return undefined;
  }

  scopes(name: string): string | undefined {
    const value = this.fields[name];
    if (value === undefined) return undefined;
    if (typeof value === 'string' && scopeList(value).length)
      return scopeList(value).join(' ');
    this.problems.push(`${name} must be a space-separated list of scopes`);
    return undefined;
  }

  target(): LatencyFault['target'] {
    const value = this.fields.target;
    if (isFaultTarget(value)) return value;
    this.problems.push(
      `target must be one of ${Object.keys(FAULT_TARGETS).join(', ')}`,
    );
    return 'tasks';
  }

  kind(): GarbageKind | undefined {
    const value = this.fields.kind;
    if (value === undefined) return undefined;
    if ((GARBAGE_KINDS as readonly unknown[]).includes(value))
      return value as GarbageKind;
    this.problems.push(`kind must be one of ${GARBAGE_KINDS.join(', ')}`);
    return undefined;
  }

  /** A non-empty list of choices, each at most once. */
  choices<T extends string>(
    name: string,
    choices: readonly T[],
  ): T[] | undefined {
    const value = this.fields[name];
    if (value === undefined) return undefined;
    if (
      Array.isArray(value) &&
      value.length &&
      value.every((item) => (choices as readonly unknown[]).includes(item))
    )
      return [...new Set(value as T[])];
    this.problems.push(
      `${name} must be a non-empty list of ${choices.join(', ')}`,
    );
    return undefined;
  }

  documents(): Record<string, unknown>[] {
    const value = this.fields.tasks;
    if (
      Array.isArray(value) &&
      value.every(
        (doc) => typeof doc === 'object' && doc !== null && !Array.isArray(doc),
      )
    )
      return value as Record<string, unknown>[];
    this.problems.push('tasks must be an array of objects');
    return [];
  }

  /** A limit: a non-negative integer, or null; both 0 and null turn it off. */
  limit(name: string): number | null | undefined {
    return this.fields[name] === null ? null : this.integer(name, 0);
  }

  /** A non-empty string, or null. */
  nullableString(name: string): string | null | undefined {
    const value = this.fields[name];
    if (value === undefined || value === null) return value;
    if (typeof value === 'string' && value) return value;
    this.problems.push(`${name} must be a non-empty string or null`);
    return undefined;
  }

  required(name: string): void {
    if (this.fields[name] === undefined)
      this.problems.push(`${name} is required`);
  }

  done<T>(value: T): T {
    if (this.problems.length) throw new BadRequestException(this.problems);
    return value;
  }
}

const defined = <T extends object>(value: T): T =>
  Object.fromEntries(
    Object.entries(value).filter(([, v]) => v !== undefined),
  ) as T;

export function parseLatencyFault(body: unknown): LatencyFault {
  const read = new Reader(body);
  read.required('ms');
  return read.done({
    target: read.target(),
    ms: read.integer('ms', 0, 600_000) ?? 0,
  });
}

export function parseErrorFault(body: unknown): ErrorFault {
  const read = new Reader(body);
  read.required('status');
  return read.done(
    defined({
      target: read.target(),
      status: read.integer('status', 400, 599) ?? 500,
      count: read.integer('count', 1),
      durationMs: read.integer('durationMs', 1),
      retryAfterMs: read.integer('retryAfterMs', 0),
      message: read.string('message'),
    }),
  );
}

export function parseGarbageFault(body: unknown): GarbageFault {
  const read = new Reader(body);
  return read.done(
    defined({
      count: read.integer('count', 1),
      kind: read.kind(),
      target: read.choice('target', GARBAGE_TARGETS),
    }),
  );
}

export function parseChatFault(body: unknown): ChatFault {
  const read = new Reader(body);
  read.required('kind');
  return read.done(
    defined({
      kind: read.choice('kind', CHAT_FAULT_KINDS) ?? 'refuse',
      count: read.integer('count', 1),
    }),
  );
}

export function parseLagFault(body: unknown): LagFault {
  const read = new Reader(body);
  return read.done(
    defined({
      seconds: read.integer('seconds', 0, 3600) ?? 5,
      count: read.integer('count', 1),
    }),
  );
}

export function parseSeed(body: unknown): { count: number } & SeedOptions {
  const read = new Reader(body);
  read.required('count');
  return read.done(
    defined({
      count: read.integer('count', 0, 1_000_000) ?? 0,
      legacy: read.integer('legacy', 0),
      model: read.string('model'),
      dimensions: read.integer('dimensions', 1),
      types: read.choices('types', SEEDABLE_TYPES),
      chatModel: read.string('chatModel'),
    }),
  );
}

export function parseInsert(body: unknown): {
  tasks: Record<string, unknown>[];
  generateIds: boolean;
} {
  const read = new Reader(body);
  return read.done({
    tasks: read.documents(),
    generateIds: read.boolean('generateIds') ?? true,
  });
}

export function parseSwitches(body: unknown): Partial<SandboxSwitches> {
  const read = new Reader(body);
  return read.done(
    defined({
      honourLimit: read.boolean('honourLimit'),
      conflictOnClaim: read.boolean('conflictOnClaim'),
      keepResults: read.boolean('keepResults'),
      embeddingsLatencyMs: read.integer('embeddingsLatencyMs', 0, 600_000),
      tokenTtlSeconds: read.integer('tokenTtlSeconds', 1),
      profile: read.choice('profile', SANDBOX_PROFILES),
      callbacks: read.boolean('callbacks'),
      throttleLimit: read.integer('throttleLimit', 0),
      throttleTtlMs: read.integer('throttleTtlMs', 1),
      redirectNotFound: read.boolean('redirectNotFound'),
      strictIssuer: read.boolean('strictIssuer'),
      clientAuthMethod: read.choice('clientAuthMethod', CLIENT_AUTH_METHODS),
      clientScopes: read.scopes('clientScopes'),
      bodyLimitBytes: read.integer('bodyLimitBytes', 1),
      storeReports: read.boolean('storeReports'),
    }),
  );
}

export function parseCallbackFailure(body: unknown): CallbackFailure {
  const read = new Reader(body);
  read.required('count');
  return read.done(
    defined({
      count: read.integer('count', 0, 1_000_000) ?? 0,
      status: read.integer('status', 400, 599),
    }),
  );
}

export function parseProviderLimits(body: unknown): ProviderLimits {
  const read = new Reader(body);
  return read.done(
    defined({
      rpm: read.limit('rpm'),
      tpm: read.limit('tpm'),
      windowMs: read.integer('windowMs', 1),
    }),
  );
}

export function parseProviderChanges(body: unknown): ProviderChanges {
  const read = new Reader(body);
  return read.done(
    defined({
      apiKey: read.nullableString('apiKey'),
      rpm: read.limit('rpm'),
      tpm: read.limit('tpm'),
      windowMs: read.integer('windowMs', 1),
    }),
  );
}
