import { EventEmitter } from 'node:events';
import { CapturingLogger } from '../../../test/support/capturing-logger.js';
import {
  EXIT_CRASHED,
  EXIT_SHUTDOWN_STUCK,
  type Schedule,
  exitGracefullyOnSignals,
  exitOnCrash,
} from './process-handlers.js';

/** `process` as the handlers see it: events to emit, exits recorded instead of taken. */
class FakeProcess extends EventEmitter {
  readonly exits: number[] = [];
  exitCode?: number | string | null;

  exit(code: number): void {
    this.exits.push(code);
  }
}

/** A clock the test moves: every scheduled callback waits until `fire`. */
class ManualSchedule {
  readonly scheduled: {
    ms: number;
    callback: () => void;
    cancelled: boolean;
  }[] = [];

  readonly schedule: Schedule = (ms, callback) => {
    const entry = { ms, callback, cancelled: false };
    this.scheduled.push(entry);
    return () => (entry.cancelled = true);
  };

  fire(): void {
    for (const entry of this.scheduled.splice(0))
      if (!entry.cancelled) entry.callback();
  }
}

/** A promise the test settles. */
function controllable() {
  let resolve!: () => void;
  let reject!: (error: Error) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('exitGracefullyOnSignals', () => {
  const setUp = () => {
    const proc = new FakeProcess();
    const timers = new ManualSchedule();
    const logger = new CapturingLogger();
    const closing = controllable();
    const calls = { close: 0, releaseNow: 0 };
    exitGracefullyOnSignals(proc, {
      close: () => {
        calls.close++;
        return closing.promise;
      },
      releaseNow: () => calls.releaseNow++,
      logger,
      backstopMs: 40_000,
      schedule: timers.schedule,
    });
    return { proc, timers, logger, closing, calls };
  };

  it('closes the application on SIGTERM and exits 0 when it has closed', async () => {
    const { proc, timers, closing, calls } = setUp();
    proc.emit('SIGTERM');
    expect(calls.close).toBe(1);
    expect(timers.scheduled.map(({ ms }) => ms)).toEqual([40_000]);
    expect(proc.exits).toEqual([]);

    closing.resolve();
    await settle();
    expect(proc.exits).toEqual([0]);
  });

  it('ends a shutdown that is still stuck when the backstop comes', () => {
    const { proc, timers, logger } = setUp();
    proc.emit('SIGINT');

    timers.fire();
    expect(proc.exits).toEqual([EXIT_SHUTDOWN_STUCK]);
    expect(
      logger.containing('shutdown did not finish within 40 s'),
    ).toHaveLength(1);
  });

  it('releases at once on a second signal, without closing twice', () => {
    const { proc, calls } = setUp();
    proc.emit('SIGTERM');
    proc.emit('SIGTERM');
    expect(calls).toEqual({ close: 1, releaseNow: 1 });
  });
});

describe('exitOnCrash', () => {
  const SECRET = 'client-secret-value-1234';

  const setUp = () => {
    const proc = new FakeProcess();
    const timers = new ManualSchedule();
    const logger = new CapturingLogger();
    const releasing = controllable();
    let releases = 0;
    exitOnCrash(proc, {
      releaseClaimed: () => {
        releases++;
        return releasing.promise;
      },
      logger,
      boundMs: 10_000,
      schedule: timers.schedule,
    });
    return { proc, timers, logger, releasing, releases: () => releases };
  };

  it('logs an uncaught exception through the logger, releases the claimed tasks, then exits non-zero', async () => {
    const { proc, logger, releasing, releases } = setUp();
    const stderr = vi.spyOn(process.stderr, 'write');
    try {
      proc.emit('uncaughtException', new Error(`boom with ${SECRET}`));
    } finally {
      stderr.mockRestore();
    }

    expect(stderr).not.toHaveBeenCalled();
    const [line] = logger.containing(
      'uncaught exception: releasing claimed tasks, then exiting',
    );
    expect(line).toMatch(/^fatal /);
    // The error goes to the logger whole: its scrubber censors the secret.
    expect(line).toContain('boom with');
    expect(releases()).toBe(1);
    expect(proc.exitCode).toBe(EXIT_CRASHED);
    expect(proc.exits).toEqual([]);

    releasing.resolve();
    await settle();
    expect(proc.exits).toEqual([EXIT_CRASHED]);
  });

  it('treats an unhandled rejection alike, rendering a reason that is no Error shallowly', async () => {
    const { proc, logger, releasing } = setUp();
    let deep: Record<string, unknown> = {};
    const reason = deep;
    for (let level = 0; level < 20_000; level++) deep = deep.next = {};

    proc.emit('unhandledRejection', reason);
    expect(
      logger.containing('unhandled rejection: releasing claimed tasks'),
    ).toHaveLength(1);
    releasing.reject(new Error('the API is down'));
    await settle();
    expect(logger.containing('releasing failed')).toHaveLength(1);
    expect(proc.exits).toEqual([EXIT_CRASHED]);
  });

  it('exits when the bound comes, although the releases have not finished', () => {
    const { proc, timers } = setUp();
    proc.emit('uncaughtException', new Error('boom'));
    expect(timers.scheduled.map(({ ms }) => ms)).toEqual([10_000]);

    timers.fire();
    expect(proc.exits).toEqual([EXIT_CRASHED]);
  });

  it('logs a further crash while exiting, without releasing again', () => {
    const { proc, logger, releases } = setUp();
    proc.emit('uncaughtException', new Error('first'));
    proc.emit('unhandledRejection', new Error('second'));

    expect(releases()).toBe(1);
    expect(logger.containing('unhandled rejection while exiting')).toHaveLength(
      1,
    );
  });
});
