import { UpstreamError, isTransient } from './upstream-error.js';

class Outage extends UpstreamError {
  readonly transient = true;
}

class Refusal extends UpstreamError {
  get transient(): boolean {
    return false;
  }
}

describe('isTransient', () => {
  it('asks an UpstreamError', () => {
    expect(isTransient(new Outage('down'))).toBe(true);
    expect(isTransient(new Refusal('no'))).toBe(false);
  });

  it('takes the mark of errors from outside the library', () => {
    expect(
      isTransient(Object.assign(new Error('down'), { transient: true })),
    ).toBe(true);
    expect(isTransient({ transient: 'yes' })).toBe(false);
    expect(isTransient(new Error('bug'))).toBe(false);
    expect(isTransient(null)).toBe(false);
  });
});
