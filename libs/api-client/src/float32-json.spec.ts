import { float32Json } from './float32-json.js';

const parse = (json: Buffer): unknown => JSON.parse(json.toString());

describe('float32Json', () => {
  it('writes values that parse back to the same float32, over every exponent and sign', () => {
    const bits = new Uint32Array(200_000);
    let seed = 0x9e3779b9;
    for (let i = 0; i < bits.length; i++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      bits[i] = seed;
    }
    const vector = new Float32Array(bits.buffer);
    const values = parse(float32Json(vector)) as (number | null)[];
    expect(values).toHaveLength(vector.length);
    let mismatches = 0;
    values.forEach((value, i) => {
      const expected = Number.isFinite(vector[i]) ? vector[i] : null;
      const actual = value === null ? null : Math.fround(value);
      if (actual !== expected) mismatches += 1;
    });
    expect(mismatches).toBe(0);
  });

  it.each([
    [0, '0'],
    [-0, '0'],
    [1, '1'],
    [-1, '-1'],
    [0.5, '0.5'],
    [0.1, '0.100000001'],
    [-0.0404110923, '-0.0404110923'],
    [123.456, '123.456001'],
    [1200, '1200'],
    [100_000_000, '100000000'],
    [1e9, '1e+9'],
    [1.5e12, '1.50000003e+12'],
    [1e-7, '0.000000100000001'],
    [9.99999e-8, '9.99999017e-8'],
    [-3.4e38, '-3.39999995e+38'],
    [1.4e-45, '1.40129846e-45'],
    [NaN, 'null'],
    [-Infinity, 'null'],
  ])('writes %f as %s', (value, json) => {
    expect(float32Json(new Float32Array([value])).toString()).toBe(`[${json}]`);
  });

  it('writes 9 significant digits at most, not the 17 of the widened double', () => {
    const vector = Float32Array.from(
      { length: 1536 },
      (_, i) => Math.sin(i + 1) / 20,
    );
    const json = float32Json(vector);
    expect(json.length).toBeLessThan(
      JSON.stringify(Array.from(vector)).length * 0.7,
    );
    for (const value of json.toString().slice(1, -1).split(','))
      expect(value.replace(/^-?0\.0*|\./g, '').length).toBeLessThanOrEqual(9);
  });

  it('puts the prefix and suffix around the array, and writes an empty one', () => {
    expect(
      float32Json(new Float32Array([0.25, 2]), '{"a":', '}').toString(),
    ).toBe('{"a":[0.25,2]}');
    expect(float32Json(new Float32Array(0)).toString()).toBe('[]');
  });

  it('reads a view into a larger buffer from its own offset', () => {
    const whole = new Float32Array([9, 0.75, -2, 9]);
    expect(float32Json(whole.subarray(1, 3)).toString()).toBe('[0.75,-2]');
  });
});
