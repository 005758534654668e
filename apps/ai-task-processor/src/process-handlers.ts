import type { LoggerService } from '@nestjs/common';
import { inspect } from 'node:util';

/** The part of `process` the handlers use: tests pass a fake. */
export interface ProcessHooks {
  on(event: 'SIGTERM' | 'SIGINT', listener: () => void): unknown;
  on(
    event: 'uncaughtException' | 'unhandledRejection',
    listener: (error: unknown) => void,
  ): unknown;
  exit(code: number): void;
  exitCode?: number | string | null;
}

/** Runs `callback` after `ms` without keeping the process alive; the answer cancels it. */
export type Schedule = (ms: number, callback: () => void) => () => void;

export const scheduleUnref: Schedule = (ms, callback) => {
  const timer = setTimeout(callback, ms).unref();
  return () => clearTimeout(timer);
};

/** As Node itself exits on an uncaught exception. */
export const EXIT_CRASHED = 1;
/** A shutdown that did not finish: something still held the process. */
export const EXIT_SHUTDOWN_STUCK = 1;

const CONTEXT = 'Process';

export interface SignalShutdown {
  /** The application's graceful close: finish or release, then close. */
  close: () => Promise<void>;
  /** A second signal: give back every running task now. */
  releaseNow: () => void;
  logger: LoggerService;
  /**
   * Longer than the grace period and the releases after it: by then the
   * process ends whatever still holds it.
   */
  backstopMs: number;
  schedule: Schedule;
}

/**
 * First SIGTERM/SIGINT: stop claiming, finish or release within the grace
 * period, exit 0. Nest's own shutdown hooks would re-raise the signal and
 * end with a signal status instead. A second signal releases at once. A
 * backstop ends the process once the grace period and the releases are over
 * even if something (a connection, a hook) still holds it; it does not keep
 * a healthy exit waiting.
 */
export function exitGracefullyOnSignals(
  proc: ProcessHooks,
  { close, releaseNow, logger, backstopMs, schedule }: SignalShutdown,
): void {
  let closing: Promise<void> | undefined;
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    proc.on(signal, () => {
      if (closing) {
        logger.warn(
          `${signal} received again: releasing running tasks now`,
          CONTEXT,
        );
        releaseNow();
        return;
      }
      logger.log(`${signal} received, shutting down`, CONTEXT);
      schedule(backstopMs, () => {
        logger.error(
          `shutdown did not finish within ${backstopMs / 1000} s: exiting anyway`,
          CONTEXT,
        );
        proc.exit(EXIT_SHUTDOWN_STUCK);
      });
      closing = close().then(
        () => proc.exit(0),
        (error: unknown) => {
          logger.error({ err: error }, 'shutdown failed', CONTEXT);
          proc.exit(EXIT_SHUTDOWN_STUCK);
        },
      );
    });
  }
}

export interface CrashRelease {
  /** Gives back every claimed task; bounded by the lifecycle's release grace. */
  releaseClaimed: () => Promise<void>;
  /** The scrubbed logger: nothing reaches stderr unscrubbed. */
  logger: LoggerService;
  /** The exit comes by then even if the releases hang. */
  boundMs: number;
  schedule: Schedule;
}

/** An Error as it is (pino's serializer), anything else rendered shallowly: a reason may be deep. */
const errorFields = (reason: unknown) =>
  reason instanceof Error
    ? { err: reason }
    : { reason: inspect(reason, { depth: 2, breakLength: Infinity }) };

/**
 * An uncaught exception or unhandled rejection leaves the process in an
 * unknown state: it is logged through the scrubbed logger (Node's default
 * would print it, secrets and all, to stderr), the claimed tasks are
 * released so that none stays `in_progress`, and the process exits
 * non-zero for its supervisor to restart it.
 */
export function exitOnCrash(
  proc: ProcessHooks,
  { releaseClaimed, logger, boundMs, schedule }: CrashRelease,
): void {
  let crashing = false;
  const crash = (what: string, reason: unknown) => {
    if (crashing) {
      logger.error(errorFields(reason), `${what} while exiting`, CONTEXT);
      return;
    }
    crashing = true;
    // Whatever ends the process from now on, it ends in failure.
    proc.exitCode = EXIT_CRASHED;
    const fatal = logger.fatal?.bind(logger) ?? logger.error.bind(logger);
    fatal(
      errorFields(reason),
      `${what}: releasing claimed tasks, then exiting`,
      CONTEXT,
    );
    schedule(boundMs, () => proc.exit(EXIT_CRASHED));
    void releaseClaimed()
      .catch((error: unknown) =>
        logger.error(errorFields(error), 'releasing failed', CONTEXT),
      )
      .finally(() => proc.exit(EXIT_CRASHED));
  };
  proc.on('uncaughtException', (error: unknown) =>
    crash('uncaught exception', error),
  );
  proc.on('unhandledRejection', (reason: unknown) =>
    crash('unhandled rejection', reason),
  );
}
