import { Logger } from '@nestjs/common';
import { CapturingLogger } from '@app/observability/testing';
import {
  RUN_ONCE_POLL_ATTEMPTS,
  type RunSummary,
  RunOnceTracker,
} from './run-once-tracker.js';
import type { RunResult, TaskOutcome } from './task-outcome.js';
import { ManualClock, settle, testConfig } from './testing/index.js';

const finished = (outcome: TaskOutcome): RunResult => ({
  kind: 'finished',
  outcome,
});
const RELEASED = finished({ kind: 'released', reason: 'provider down' });

describe('RunOnceTracker', () => {
  let clock: ManualClock;
  let logs: CapturingLogger;

  beforeEach(() => {
    clock = new ManualClock();
    logs = new CapturingLogger();
    Logger.overrideLogger(logs);
  });

  const tracker = (runOnce: boolean) =>
    new RunOnceTracker(
      testConfig({ RUN_ONCE: String(runOnce) }),
      clock.timings(),
    );

  /** The summary once the completion resolved; undefined while it has not. */
  const summaryOf = async (
    subject: RunOnceTracker,
  ): Promise<RunSummary | undefined> => {
    let summary: RunSummary | undefined;
    void subject.completion().then((done) => (summary = done));
    await settle();
    return summary;
  };

  it('counts how finished tasks ended, and nothing for tasks never claimed', () => {
    const subject = tracker(false);
    subject.record('a', finished({ kind: 'succeeded' }));
    subject.record('b', finished({ kind: 'failed', code: 'invalid_task' }));
    subject.record('c', RELEASED);
    subject.record('d', finished({ kind: 'abandoned', reason: 'gone' }));
    subject.record('e', { kind: 'conflict' });
    subject.record('f', { kind: 'gone' });

    expect(subject.totals).toEqual({
      succeeded: 1,
      failed: 1,
      released: 1,
      abandoned: 1,
    });
  });

  describe('in a long-running service', () => {
    it('never ends, never gives up, and takes released tasks again', async () => {
      const subject = tracker(false);
      subject.record('a', RELEASED);
      subject.polled(0, true);
      expect(subject.givesUpAfter(100)).toBe(false);
      subject.settle(0, false);

      expect(subject.excludes('a')).toBe(false);
      expect(subject.wantsMoreWork).toBe(false);
      expect(await summaryOf(subject)).toBeUndefined();
    });
  });

  describe('in a run-once', () => {
    it('wants more work until a poll finds nothing while nothing runs, then ends with the totals', async () => {
      const subject = tracker(true);
      expect(subject.wantsMoreWork).toBe(true);
      subject.polled(2, false);
      subject.record('a', finished({ kind: 'succeeded' }));
      subject.record('b', RELEASED);
      await clock.advance(1_500);
      subject.settle(0, false);
      expect(await summaryOf(subject)).toBeUndefined();

      subject.polled(0, true);
      expect(subject.wantsMoreWork).toBe(false);
      subject.settle(0, false);

      expect(await summaryOf(subject)).toEqual({
        succeeded: 1,
        failed: 0,
        released: 1,
        abandoned: 0,
        elapsedMs: 1_500,
        gaveUp: false,
      });
    });

    it('is not drained by a poll that took nothing while tasks run or wait', async () => {
      const subject = tracker(true);
      subject.polled(0, false);
      subject.settle(0, false);

      expect(subject.wantsMoreWork).toBe(true);
      expect(await summaryOf(subject)).toBeUndefined();
    });

    it('waits for running tasks and a poll in flight before it ends', async () => {
      const subject = tracker(true);
      subject.polled(0, true);
      subject.settle(1, false);
      subject.settle(0, true);
      expect(await summaryOf(subject)).toBeUndefined();

      subject.settle(0, false);
      expect(await summaryOf(subject)).toMatchObject({ gaveUp: false });
    });

    it('does not take again a task it released', () => {
      const subject = tracker(true);
      subject.record('a', RELEASED);
      subject.record('b', finished({ kind: 'succeeded' }));

      expect(subject.excludes('a')).toBe(true);
      expect(subject.excludes('b')).toBe(false);
    });

    it(`gives up after ${RUN_ONCE_POLL_ATTEMPTS} failed polls, and ends saying so`, async () => {
      const subject = tracker(true);
      expect(subject.givesUpAfter(RUN_ONCE_POLL_ATTEMPTS - 1)).toBe(false);
      expect(subject.givesUpAfter(RUN_ONCE_POLL_ATTEMPTS)).toBe(true);
      expect(subject.wantsMoreWork).toBe(false);
      subject.settle(1, false);
      expect(await summaryOf(subject)).toBeUndefined();

      subject.settle(0, false);
      expect(await summaryOf(subject)).toMatchObject({ gaveUp: true });
      expect(
        logs.containing(
          `giving up after ${RUN_ONCE_POLL_ATTEMPTS} failed polls`,
        ),
      ).toHaveLength(1);
    });

    it('ends once: what happens after the summary does not change it', async () => {
      const subject = tracker(true);
      subject.polled(0, true);
      subject.settle(0, false);
      const first = await summaryOf(subject);

      subject.polled(3, false);
      subject.record('late', finished({ kind: 'succeeded' }));
      subject.settle(0, false);

      expect(first).toMatchObject({ succeeded: 0 });
      expect(await summaryOf(subject)).toBe(first);
      expect(subject.wantsMoreWork).toBe(false);
    });
  });
});
