import { Logger } from '@nestjs/common';
import { CapturingLogger } from '@app/observability/testing';
import { inShard } from './shard.js';
import { type Outside, TaskBuffer } from './task-buffer.js';
import { ManualClock, pageOf, testConfig } from './testing/index.js';

const INTERVAL_MS = 30_000;

describe('TaskBuffer', () => {
  let clock: ManualClock;
  let logs: CapturingLogger;
  const nothingOutside: Outside = { running: new Set(), excluded: () => false };

  beforeEach(() => {
    clock = new ManualClock();
    logs = new CapturingLogger();
    Logger.overrideLogger(logs);
  });

  const bufferWith = (env: Record<string, string> = {}) =>
    new TaskBuffer(
      testConfig({ PREFETCH_LIMIT: '10', ...env }),
      clock.timings(),
    );

  /** Takes everything buffered: the ids and the cycle each keeps. */
  const drain = (buffer: TaskBuffer) => {
    const taken: [string, number][] = [];
    for (let next = buffer.take(); next; next = buffer.take())
      taken.push([
        next.taken.kind === 'valid' ? next.taken.task.id : next.taken.id,
        next.cycle,
      ]);
    return taken;
  };

  it('keeps tasks in page order, each with the cycle of the poll that listed it', () => {
    const buffer = bufferWith();
    buffer.admit(pageOf(['a', 'b']), 1, nothingOutside);
    buffer.admit(pageOf(['c']), 2, nothingOutside);

    expect(buffer.size).toBe(3);
    expect(buffer.freeRoom).toBe(7);
    expect(drain(buffer)).toEqual([
      ['a', 1],
      ['b', 1],
      ['c', 2],
    ]);
  });

  it('buffers an invalid entry with an id (to be failed), and skips one without, with a warning', () => {
    const buffer = bufferWith();
    const intake = buffer.admit(
      pageOf(
        ['a'],
        [
          { id: 'bad', reasons: ['content missing'] },
          { reasons: ['_id must be a task id'] },
        ],
      ),
      4,
      nothingOutside,
    );

    expect(intake).toEqual({ buffered: 2, ours: 0 });
    expect(buffer.take()?.taken).toMatchObject({ kind: 'valid' });
    expect(buffer.take()).toEqual({
      taken: { kind: 'invalid', id: 'bad', reasons: ['content missing'] },
      cycle: 4,
    });
    expect(
      logs.containing(
        'skipped a pending entry without a usable id: _id must be a task id',
      ),
    ).toHaveLength(1);
  });

  it('takes a task listed twice on one page once, and says how many duplicates there were', () => {
    const buffer = bufferWith();
    const intake = buffer.admit(
      pageOf(['a', 'a', 'b'], [{ id: 'a', reasons: ['invalid'] }]),
      1,
      nothingOutside,
    );

    expect(intake).toEqual({ buffered: 2, ours: 0 });
    expect(drain(buffer)).toEqual([
      ['a', 1],
      ['b', 1],
    ]);
    expect(logs.containing('duplicate')).toEqual([
      expect.stringContaining(
        'the page listed 2 duplicate entries of tasks already on it; each task is taken once',
      ) as string,
    ]);
  });

  it('does not take again a task it holds or one running here, and counts both as ours', () => {
    const buffer = bufferWith();
    buffer.admit(pageOf(['a']), 1, nothingOutside);
    const intake = buffer.admit(pageOf(['a', 'r', 'b']), 2, {
      running: new Set(['r']),
      excluded: () => false,
    });

    expect(intake).toEqual({ buffered: 1, ours: 2 });
    expect(drain(buffer)).toEqual([
      ['a', 1],
      ['b', 2],
    ]);
  });

  it('takes a task the caller excludes neither as new nor as ours', () => {
    const buffer = bufferWith();
    const intake = buffer.admit(pageOf(['a', 'b']), 1, {
      running: new Set(),
      excluded: (id) => id === 'a',
    });

    expect(intake).toEqual({ buffered: 1, ours: 0 });
    expect(drain(buffer)).toEqual([['b', 1]]);
  });

  it('takes only the ids of its shard with WORKER_SHARD', () => {
    const ids = Array.from({ length: 30 }, (_, i) => `task-${i}`);
    const shard = { index: 1, count: 3 };
    const buffer = bufferWith({ WORKER_SHARD: '1/3', PREFETCH_LIMIT: '30' });

    const intake = buffer.admit(pageOf(ids), 1, nothingOutside);

    const ours = ids.filter((id) => inShard(id, shard));
    expect(ours.length).toBeGreaterThan(0);
    expect(ours.length).toBeLessThan(ids.length);
    expect(intake).toEqual({ buffered: ours.length, ours: 0 });
    expect(drain(buffer).map(([id]) => id)).toEqual(ours);
  });

  it('never takes again a task the API refused this replica, is gone, or was abandoned', () => {
    const buffer = bufferWith();
    buffer.recordResult('refused', {
      kind: 'not_claimed',
      reason: '400',
      refused: true,
    });
    buffer.recordResult('gone', { kind: 'gone' });
    buffer.recordResult('abandoned', {
      kind: 'finished',
      outcome: { kind: 'abandoned', reason: 'report refused' },
    });
    // Outages, conflicts and releases are not refusals: those come back.
    buffer.recordResult('outage', {
      kind: 'not_claimed',
      reason: '503',
      refused: false,
    });
    buffer.recordResult('conflict', { kind: 'conflict' });
    buffer.recordResult('released', {
      kind: 'finished',
      outcome: { kind: 'released', reason: 'provider down' },
    });

    buffer.admit(
      pageOf([
        'refused',
        'gone',
        'abandoned',
        'outage',
        'conflict',
        'released',
      ]),
      1,
      nothingOutside,
    );
    expect(drain(buffer).map(([id]) => id)).toEqual([
      'outage',
      'conflict',
      'released',
    ]);
  });

  it('remembers the last 10,000 refusals, forgetting the oldest first', () => {
    const buffer = bufferWith();
    for (let i = 0; i <= 10_000; i++)
      buffer.recordResult(`gone-${i}`, { kind: 'gone' });

    buffer.admit(pageOf(['gone-0', 'gone-1', 'gone-10000']), 1, nothingOutside);
    expect(drain(buffer).map(([id]) => id)).toEqual(['gone-0']);
  });

  it('drops a buffer filled more than one polling interval ago, whole', async () => {
    const buffer = bufferWith();
    buffer.admit(pageOf(['a']), 1, nothingOutside);
    await clock.advance(INTERVAL_MS / 2);
    // Added to a buffer that is not empty: its age is the buffer's.
    buffer.admit(pageOf(['b']), 2, nothingOutside);
    await clock.advance(INTERVAL_MS / 2);

    buffer.expire();
    expect(buffer.size).toBe(2);

    await clock.advance(1);
    buffer.expire();
    expect(buffer.size).toBe(0);
    expect(buffer.freeRoom).toBe(10);
  });

  it('counts the age from when it last went from empty to filled', async () => {
    const buffer = bufferWith();
    buffer.admit(pageOf(['a']), 1, nothingOutside);
    await clock.advance(INTERVAL_MS);
    drain(buffer);
    buffer.admit(pageOf(['b']), 2, nothingOutside);
    await clock.advance(INTERVAL_MS);

    buffer.expire();
    expect(drain(buffer)).toEqual([['b', 2]]);
  });

  it('forgets what it dropped: a cleared task may be listed and taken again', () => {
    const buffer = bufferWith();
    buffer.admit(pageOf(['a']), 1, nothingOutside);
    buffer.clear();

    expect(buffer.admit(pageOf(['a']), 2, nothingOutside)).toEqual({
      buffered: 1,
      ours: 0,
    });
  });
});
