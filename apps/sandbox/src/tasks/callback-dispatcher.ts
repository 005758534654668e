import { STATUS_CODES } from 'node:http';
import {
  BadRequestException,
  HttpException,
  Inject,
  Injectable,
} from '@nestjs/common';
import { SandboxStats } from '../stats.js';
import type { TaskRecord } from './task-repository.js';

/** Failures injected for one task's callback. */
export interface CallbackFailure {
  /** How many of the next dispatches fail. */
  count: number;
  /** The status those dispatches answer; 500 by default. */
  status?: number;
}

const isNonEmptyString = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0;

/** What Nest answers when the callback handler throws `status`. */
function failure(status: number): HttpException {
  const message =
    status === 500
      ? 'Internal server error'
      : (STATUS_CODES[status] ?? 'Error');
  return new HttpException({ statusCode: status, message }, status);
}

/**
 * The real server's callback dispatcher: after a `succeeded` PATCH has been
 * saved, the result goes to the task's callback, whose failure becomes the
 * PATCH's answer. Parameters must carry a non-empty `targetId` and `field`
 * (400 otherwise, as the server's schema check answers); a failure of the
 * handler itself is injected per task.
 */
@Injectable()
export class CallbackDispatcher {
  private failures = new Map<string, { remaining: number; status: number }>();

  constructor(@Inject(SandboxStats) private readonly stats: SandboxStats) {}

  /** The next `count` dispatches for the task stored under `key` fail with `status`. */
  inject(key: string, { count, status = 500 }: CallbackFailure): void {
    if (count > 0) this.failures.set(key, { remaining: count, status });
    else this.failures.delete(key);
  }

  /** Hands `result` to the task's callback; throws the failure the PATCH answers. */
  dispatch(record: TaskRecord, _result: unknown): void {
    record.callbackDispatches += 1;
    const params = record.doc.callbackParams as
      Record<string, unknown> | null | undefined;
    const valid =
      typeof params === 'object' &&
      params !== null &&
      isNonEmptyString(params.targetId) &&
      isNonEmptyString(params.field);
    const injected = valid ? this.take(record.key) : undefined;
    this.stats.dispatched(
      !valid || injected !== undefined,
      record.callbackDispatches,
    );
    if (!valid) throw new BadRequestException('Invalid callback parameters');
    if (injected !== undefined) throw failure(injected);
  }

  /** Drops the failures injected for a task that is gone. */
  forget(key: string): void {
    this.failures.delete(key);
  }

  reset(): void {
    this.failures = new Map();
  }

  private take(key: string): number | undefined {
    const injected = this.failures.get(key);
    if (!injected) return undefined;
    injected.remaining -= 1;
    if (injected.remaining <= 0) this.failures.delete(key);
    return injected.status;
  }
}
