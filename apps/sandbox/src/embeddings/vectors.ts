import { createHash } from 'node:crypto';

export interface EmbeddingModel {
  /** The model's native dimension. */
  dimensions: number;
  /** Whether `dimensions` may shorten the vector (text-embedding-3 models only). */
  shortenable: boolean;
}

export const EMBEDDING_MODELS: Readonly<Record<string, EmbeddingModel>> = {
  'text-embedding-3-small': { dimensions: 1536, shortenable: true },
  'text-embedding-3-large': { dimensions: 3072, shortenable: true },
  'text-embedding-ada-002': { dimensions: 1536, shortenable: false },
  // The real server's default, served there by a local Ollama.
  'dengcao/Qwen3-Embedding-0.6B:Q8_0': { dimensions: 1024, shortenable: false },
};

/** xoshiro128** seeded from a SHA-256 digest: the same input always gives the same stream. */
function streamFrom(digest: Buffer): () => number {
  let a = digest.readUInt32LE(0);
  let b = digest.readUInt32LE(4);
  let c = digest.readUInt32LE(8);
  let d = digest.readUInt32LE(12);
  return () => {
    const result = Math.imul(rotl(Math.imul(b, 5), 7), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = rotl(d, 11);
    return result / 4294967296;
  };
}

const rotl = (x: number, k: number) => (x << k) | (x >>> (32 - k));

/**
 * A deterministic unit vector for (input, model, dimensions). Like
 * text-embedding-3, a shortened vector is the start of the full one,
 * normalised again, so `dimensions` behaves as OpenAI documents it.
 */
export function embeddingVector(
  input: string,
  model: string,
  dimensions: number,
): Float32Array {
  const next = streamFrom(
    createHash('sha256').update(`${model}\u0000${input}`).digest(),
  );
  const values = new Float64Array(dimensions);
  let squares = 0;
  for (let i = 0; i < dimensions; i += 1) {
    const value = next() * 2 - 1;
    values[i] = value;
    squares += value * value;
  }
  const norm = Math.sqrt(squares) || 1;
  const vector = new Float32Array(dimensions);
  for (let i = 0; i < dimensions; i += 1) vector[i] = values[i] / norm;
  return vector;
}

/** OpenAI's base64 encoding: the little-endian float32 bytes of the vector. */
export function toBase64(vector: Float32Array): string {
  const bytes = Buffer.alloc(vector.length * 4);
  for (let i = 0; i < vector.length; i += 1)
    bytes.writeFloatLE(vector[i], i * 4);
  return bytes.toString('base64');
}
