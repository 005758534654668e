import { ConsoleLogger, Logger } from '@nestjs/common';
import {
  ProcessorFailurePolicy,
  StrikeCounter,
  UNEXPECTED_ERROR_ATTEMPTS,
} from './processor-failure-policy.js';

const task = (id: string) => ({ id, type: 'buggy', content: null });
const bug = new TypeError('boom');

describe('ProcessorFailurePolicy', () => {
  // Its lines are the registry spec's subject; here they would be noise.
  beforeAll(() => Logger.overrideLogger(false));
  afterAll(() => Logger.overrideLogger(new ConsoleLogger()));

  it('forgets earlier throws once the processor answers', () => {
    const policy = new ProcessorFailurePolicy();
    for (let i = 1; i < UNEXPECTED_ERROR_ATTEMPTS; i++) {
      policy.afterThrow(task('a'), 'BuggyProcessor', bug);
    }
    policy.answered(task('a'));
    expect(policy.afterThrow(task('a'), 'BuggyProcessor', bug)).toEqual({
      kind: 'transient',
      reason: `unexpected error, attempt 1 of ${UNEXPECTED_ERROR_ATTEMPTS}: TypeError: boom`,
    });
  });

  it('starts afresh after failing a task', () => {
    const policy = new ProcessorFailurePolicy();
    const outcomes = Array.from({ length: UNEXPECTED_ERROR_ATTEMPTS + 1 }, () =>
      policy.afterThrow(task('b'), 'BuggyProcessor', bug),
    );
    expect(outcomes.map((outcome) => outcome.kind)).toEqual([
      ...Array<string>(UNEXPECTED_ERROR_ATTEMPTS - 1).fill('transient'),
      'failed',
      'transient',
    ]);
  });
});

describe('StrikeCounter', () => {
  it('counts per id and forgets the least recently struck beyond its capacity', () => {
    const strikes = new StrikeCounter(2);
    expect(strikes.add('a')).toBe(1);
    expect(strikes.add('b')).toBe(1);
    expect(strikes.add('a')).toBe(2);
    expect(strikes.add('c')).toBe(1); // forgets b, struck before a's last
    expect(strikes.add('a')).toBe(3);
    expect(strikes.add('b')).toBe(1);
  });
});
