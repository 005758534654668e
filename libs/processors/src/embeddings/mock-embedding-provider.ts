import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import type { Counter } from 'prom-client';
import { ServiceConfig } from '@app/config';
import { InjectMetric, METRIC } from '@app/observability';
import {
  EmbeddingProvider,
  EmbeddingProviderError,
  type EmbeddingRequest,
  type EmbeddingResponse,
} from './embedding-provider.js';
import { FALLBACK_DIMENSIONS, knownModel } from './embedding-models.js';
import { modelLabel } from './model-label.js';

/**
 * The most dimensions the mock answers: the largest real model's
 * (text-embedding-3-large). Real models refuse more than their size; without
 * a bound, one task naming a model the mock does not know could ask for a
 * vector of any size, and its memory.
 */
export const MAX_MOCK_DIMENSIONS = 3_072;

/** Unknown models warned about by name; past this many, one line says the rest are not. */
const NAMED_UNKNOWN_MODELS = 100;

/** A model name as logged: whoever creates tasks chooses it, and its length. */
const shownModel = (model: string): string =>
  JSON.stringify(model.length > 80 ? `${model.slice(0, 80)}…` : model);

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
 * real dimension, token usage from the real tokenizer (the counts the
 * content check made), and no call leaves
 * the process.
 */
@Injectable()
export class MockEmbeddingProvider extends EmbeddingProvider {
  readonly description: string;
  private readonly logger = new Logger(MockEmbeddingProvider.name);
  /** Unknown models already warned about: at most NAMED_UNKNOWN_MODELS. */
  private readonly unknownModels = new Set<string>();
  private unknownModelsOverflowed = false;

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
    if (dimensions !== undefined && dimensions > MAX_MOCK_DIMENSIONS) {
      return Promise.reject(
        new EmbeddingProviderError(
          'unsupported_dimensions',
          `mock embeddings answer at most ${MAX_MOCK_DIMENSIONS} dimensions, the most of any real embedding model (got ${dimensions})`,
        ),
      );
    }
    const size = dimensions ?? this.defaultDimensions(model);
    const vectors = inputs.map((text) => mockVector(text, model, size));
    this.requests.inc({ model: modelLabel(model), status: 'success' });
    // No usage of its own: the batcher then counts the tokens it measured
    // with the real tokenizer when the content was checked (off the event
    // loop for long texts). Counting again here would tokenize on the loop.
    return Promise.resolve({ vectors });
  }

  assertReady(): void {}

  private defaultDimensions(model: string): number {
    const known = knownModel(model);
    if (known) return known.dimensions;
    if (this.unknownModels.has(model)) return FALLBACK_DIMENSIONS;
    if (this.unknownModels.size < NAMED_UNKNOWN_MODELS) {
      this.unknownModels.add(model);
      this.logger.warn(
        `mock embeddings: unknown model ${shownModel(model)}, answering ${FALLBACK_DIMENSIONS} dimensions`,
      );
    } else if (!this.unknownModelsOverflowed) {
      // Tasks name their models: remembering every name would grow without bound.
      this.unknownModelsOverflowed = true;
      this.logger.warn(
        `mock embeddings: more than ${NAMED_UNKNOWN_MODELS} unknown models; the others are not named, and get ${FALLBACK_DIMENSIONS} dimensions too`,
      );
    }
    return FALLBACK_DIMENSIONS;
  }
}
