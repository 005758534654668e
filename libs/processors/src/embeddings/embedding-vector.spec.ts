import { decodeEmbedding } from './embedding-vector.js';

const base64Of = (values: number[]) =>
  Buffer.from(new Float32Array(values).buffer).toString('base64');

describe('decodeEmbedding', () => {
  it('reads little-endian float32 values from base64', () => {
    const bytes = Buffer.alloc(8);
    bytes.writeFloatLE(0.25, 0);
    bytes.writeFloatLE(-1.5, 4);
    expect(decodeEmbedding(bytes.toString('base64'))).toEqual(
      new Float32Array([0.25, -1.5]),
    );
  });

  it('reads short vectors whose bytes Node pools at an unaligned offset', () => {
    // Small Buffers share a pool; a float32 view needs a 4-byte aligned offset.
    Buffer.from('x');
    const values = [0.5, -0.25, 0.125];
    expect(decodeEmbedding(base64Of(values))).toEqual(new Float32Array(values));
  });

  it('reads number arrays from servers that ignore encoding_format', () => {
    expect(decodeEmbedding([0.5, -0.25])).toEqual(
      new Float32Array([0.5, -0.25]),
    );
  });

  it.each([
    ['an empty string', ''],
    [
      'bytes that are not whole float32 values',
      Buffer.from([1, 2, 3]).toString('base64'),
    ],
    ['a NaN', base64Of([0.5, NaN])],
    ['an infinity', base64Of([Infinity])],
    ['an empty array', []],
    ['a number beyond float32', [0.5, 1e39]],
    ['a NaN in an array', [Number.NaN]],
    ['a string in an array', [0.5, '0.25']],
    ['a null in an array', [0.5, null]],
    ['an object', { embedding: [1] }],
    ['nothing', undefined],
  ])('refuses %s', (_, embedding) => {
    expect(decodeEmbedding(embedding)).toBeUndefined();
  });
});
