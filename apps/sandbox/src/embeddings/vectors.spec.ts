import { embeddingVector, toBase64 } from './vectors.js';

const norm = (vector: Float32Array) => Math.hypot(...vector);

describe('embeddingVector', () => {
  it('is a deterministic unit vector of the asked dimension, different per text and model', () => {
    const vector = embeddingVector('hello', 'text-embedding-3-small', 1536);
    expect(vector).toHaveLength(1536);
    expect(norm(vector)).toBeCloseTo(1, 5);
    expect(embeddingVector('hello', 'text-embedding-3-small', 1536)).toEqual(
      vector,
    );
    expect(
      embeddingVector('hello!', 'text-embedding-3-small', 1536),
    ).not.toEqual(vector);
    expect(
      embeddingVector('hello', 'text-embedding-ada-002', 1536),
    ).not.toEqual(vector);
  });

  it('shortens by truncating and normalising again', () => {
    const full = embeddingVector('text', 'text-embedding-3-large', 3072);
    const short = embeddingVector('text', 'text-embedding-3-large', 8);
    const scale = Math.hypot(...full.slice(0, 8));
    short.forEach((value, i) => expect(value).toBeCloseTo(full[i] / scale, 6));
  });
});

describe('toBase64', () => {
  it('writes little-endian float32 bytes', () => {
    const vector = new Float32Array([1, -0.5, 0.25]);
    const bytes = Buffer.from(toBase64(vector), 'base64');
    expect(bytes).toHaveLength(12);
    expect([0, 4, 8].map((offset) => bytes.readFloatLE(offset))).toEqual([
      1, -0.5, 0.25,
    ]);
  });
});
