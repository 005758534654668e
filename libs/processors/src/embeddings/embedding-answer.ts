import type { TokenUsage } from '../task-processor.js';
import { knownModel } from './embedding-models.js';
import type {
  EmbeddingRequest,
  EmbeddingResponse,
} from './embedding-provider.js';
import { decodeEmbedding } from './embedding-vector.js';

/**
 * An embeddings answer that breaks the contract (docs/processors.md, "Answer
 * checks"): the provider's defect, never the task's. The message says what
 * is wrong, in numbers only, so a peer cannot put its text into our logs.
 */
export class InvalidEmbeddingAnswerError extends Error {
  constructor(detail: string) {
    super(detail);
    this.name = 'InvalidEmbeddingAnswerError';
  }
}

interface Entry {
  index: number;
  embedding: unknown;
}

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const plural = (count: number, noun: string) =>
  `${count} ${noun}${count === 1 ? '' : 's'}`;

/** The entries of `data`, one per input, ordered by their `index`. */
function orderedEntries(answer: unknown, inputs: number): Entry[] {
  const data = isRecord(answer) ? answer.data : undefined;
  if (!Array.isArray(data)) {
    throw new InvalidEmbeddingAnswerError('the answer has no data list');
  }
  if (data.length !== inputs) {
    throw new InvalidEmbeddingAnswerError(
      `${plural(data.length, 'vector')} for ${plural(inputs, 'input')}`,
    );
  }
  const ordered: (Entry | undefined)[] = Array.from({ length: inputs });
  data.forEach((entry: unknown, position) => {
    const index = isRecord(entry) ? entry.index : undefined;
    if (typeof index !== 'number' || !Number.isInteger(index)) {
      throw new InvalidEmbeddingAnswerError(
        `entry ${position} has no whole-number index`,
      );
    }
    if (index < 0 || index >= inputs) {
      throw new InvalidEmbeddingAnswerError(
        inputs === 1
          ? `index ${index} is not 0`
          : `index ${index} is not one of 0 to ${inputs - 1}`,
      );
    }
    if (ordered[index]) {
      throw new InvalidEmbeddingAnswerError(`index ${index} appears twice`);
    }
    ordered[index] = { index, embedding: (entry as Entry).embedding };
  });
  // As many entries as inputs, each index once, all in range: none is missing.
  return ordered as Entry[];
}

/** What every vector's length must be, and how to say so; undefined: only consistency. */
function expectedLength({
  model,
  dimensions,
}: EmbeddingRequest): { length: number; source: string } | undefined {
  if (dimensions !== undefined) {
    return {
      length: dimensions,
      source: `${dimensions} dimensions were asked for`,
    };
  }
  const known = knownModel(model);
  return (
    known && {
      length: known.dimensions,
      source: `${model} answers ${known.dimensions}`,
    }
  );
}

const isCount = (value: unknown): value is number =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;

/**
 * Usage as reported, or undefined when it is absent or not whole
 * non-negative numbers: the counted tokens stand in then. Accounting is not
 * worth releasing a batch of correct vectors for.
 */
function usageOf(answer: unknown): TokenUsage | undefined {
  const usage = isRecord(answer) ? answer.usage : undefined;
  if (!isRecord(usage)) return undefined;
  const { prompt_tokens: promptTokens, total_tokens: totalTokens } = usage;
  return isCount(promptTokens) && isCount(totalTokens)
    ? { promptTokens, totalTokens }
    : undefined;
}

/**
 * Reads an embeddings answer, checking it before any of it is used: exactly
 * one vector per input, indices 0 to n-1 each once, every vector a non-empty
 * list of finite float32 values of the length the model or `dimensions`
 * implies (for a model this service does not know: all of one length).
 * @throws InvalidEmbeddingAnswerError
 */
export function readEmbeddingAnswer(
  answer: unknown,
  request: EmbeddingRequest,
): EmbeddingResponse {
  const entries = orderedEntries(answer, request.inputs.length);
  const vectors = entries.map(({ index, embedding }) => {
    const vector = decodeEmbedding(embedding);
    if (!vector) {
      throw new InvalidEmbeddingAnswerError(
        `vector ${index} is not a non-empty list of finite float32 numbers`,
      );
    }
    return vector;
  });
  const expected = expectedLength(request) ?? {
    length: vectors[0].length,
    source: `vector 0 has ${vectors[0].length}`,
  };
  const wrong = vectors.findIndex(
    (vector) => vector.length !== expected.length,
  );
  if (wrong !== -1) {
    throw new InvalidEmbeddingAnswerError(
      `vector ${wrong} has ${vectors[wrong].length} values; ${expected.source}`,
    );
  }
  return { vectors, usage: usageOf(answer) };
}
