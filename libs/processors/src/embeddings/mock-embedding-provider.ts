import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { Counter } from 'prom-client';
import { ServiceConfig } from '@app/config';
import { InjectMetric, METRIC } from '@app/observability';
import {
  EmbeddingProvider,
  type EmbeddingRequest,
  type EmbeddingResponse,
} from './embedding-provider.js';
import {
  FALLBACK_DIMENSIONS,
  countTokens,
  knownModel,
} from './embedding-models.js';

/** xoshiro128**: small, fast and the same on every platform. */
function xoshiro128(seed: Buffer): () => number {
  let [a, b, c, d] = [0, 4, 8, 12].map((at) => seed.readUInt32LE(at));
  return () => {
    const times5 = Math.imul(b, 5);
    const result = Math.imul((times5 << 7) | (times5 >>> 25), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = (d << 11) | (d >>> 21);
    return result / 2 ** 32;
  };
}

/**
 * A unit vector that depends only on (text, model, size). Shorter vectors
 * are the renormalised prefix of longer ones, as OpenAI's shortened
 * embeddings are.
 */
export function mockVector(
  text: string,
  model: string,
  size: number,
): Float32Array {
  const random = xoshiro128(
    createHash('sha256').update(`${model}\0${text}`).digest(),
  );
  const components = new Float64Array(size);
  let squares = 0;
  for (let i = 0; i < size; i++) {
    const component = random() * 2 - 1;
    components[i] = component;
    squares += component * component;
  }
  const norm = Math.sqrt(squares) || 1;
  // Float32, as a provider's vectors are.
  const vector = new Float32Array(size);
  for (let i = 0; i < size; i++) vector[i] = components[i]! / norm;
  return vector;
}

/**
 * Mock mode (docs/contract.md §3): deterministic unit vectors of the model's
 * real dimension, token usage from the real tokenizer, and no call leaves
 * the process.
 */
@Injectable()
export class MockEmbeddingProvider extends EmbeddingProvider {
  readonly description: string;
  private readonly logger = new Logger('Embeddings');
  private readonly unknownModels = new Set<string>();

  constructor(
    config: ServiceConfig,
    @InjectMetric(METRIC.openaiRequests)
    private readonly requests: Counter<'model' | 'status'>,
  ) {
    super();
    this.description = `mock embeddings: ${config.embeddings.provider.reason}`;
  }

  embed({
    model,
    dimensions,
    inputs,
  }: EmbeddingRequest): Promise<EmbeddingResponse> {
    const size = dimensions ?? this.defaultDimensions(model);
    const vectors = inputs.map((text) => mockVector(text, model, size));
    const tokens = inputs.reduce((sum, text) => sum + countTokens(text), 0);
    this.requests.inc({ model, status: 'success' });
    return Promise.resolve({
      vectors,
      usage: { promptTokens: tokens, totalTokens: tokens },
    });
  }

  assertReady(): void {}

  private defaultDimensions(model: string): number {
    const known = knownModel(model);
    if (known) return known.dimensions;
    if (!this.unknownModels.has(model)) {
      this.unknownModels.add(model);
      this.logger.warn(
        `mock embeddings: unknown model "${model}", answering ${FALLBACK_DIMENSIONS} dimensions`,
      );
    }
    return FALLBACK_DIMENSIONS;
  }
}
