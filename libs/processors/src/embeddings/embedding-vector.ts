/**
 * A vector as an OpenAI-compatible server sends it: base64 of little-endian
 * float32 values (what the provider asks for: a quarter of the bytes of the
 * number array, and no double array to build and collect), or a number array
 * from a server that ignores `encoding_format`. Undefined when it is neither,
 * is empty, or holds a value that is not a finite float32 (a number array may
 * hold doubles beyond float32's range, which would become infinities).
 */
export function decodeEmbedding(embedding: unknown): Float32Array | undefined {
  if (typeof embedding === 'string') {
    const bytes = Buffer.from(embedding, 'base64');
    if (bytes.length === 0 || bytes.length % 4 !== 0) return undefined;
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.length);
    const vector = new Float32Array(bytes.length / 4);
    for (let i = 0; i < vector.length; i++) {
      const value = view.getFloat32(i * 4, true);
      if (!Number.isFinite(value)) return undefined;
      vector[i] = value;
    }
    return vector;
  }
  if (!Array.isArray(embedding) || embedding.length === 0) return undefined;
  const vector = new Float32Array(embedding.length);
  for (let i = 0; i < vector.length; i++) {
    const value: unknown = embedding[i];
    if (typeof value !== 'number') return undefined;
    vector[i] = value;
    if (!Number.isFinite(vector[i])) return undefined;
  }
  return vector;
}
