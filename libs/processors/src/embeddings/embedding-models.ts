import {
  countTokens as countCl100kTokens,
  isWithinTokenLimit,
} from 'gpt-tokenizer/encoding/cl100k_base';

/** OpenAI's limits (docs/contract.md §3). */
export const MAX_INPUT_TOKENS = 8_192;
export const MAX_INPUTS_PER_REQUEST = 2_048;
export const MAX_TOKENS_PER_REQUEST = 300_000;

/**
 * The most UTF-8 bytes a single cl100k_base token stands for: a run of 128
 * spaces (embedding-models.spec.ts checks the whole vocabulary). Every
 * UTF-16 unit of a text takes at least one UTF-8 byte, so a text of n units
 * is at least n / 128 tokens, whatever it holds.
 */
export const MAX_BYTES_PER_TOKEN = 128;

/**
 * 1,048,576: a longer text cannot fit in `MAX_INPUT_TOKENS` (see
 * `MAX_BYTES_PER_TOKEN`), so it is refused by its length alone, before any
 * tokenizing. A tighter bound (32 characters a token, say) would be a guess:
 * long runs of spaces really are that dense, and such a text may fit.
 */
export const MAX_INPUT_CHARACTERS = MAX_INPUT_TOKENS * MAX_BYTES_PER_TOKEN;

export const DEFAULT_MODEL = 'text-embedding-3-small';
/** What the mock answers for a model it does not know. */
export const FALLBACK_DIMENSIONS = 1_536;

export interface EmbeddingModel {
  /** Length of the vectors the model answers when `dimensions` is not given. */
  dimensions: number;
  /** Whether the model shortens its vectors on request (`dimensions`). */
  shortenable: boolean;
}

const KNOWN_MODELS: Readonly<Record<string, EmbeddingModel>> = {
  'text-embedding-3-small': { dimensions: 1_536, shortenable: true },
  'text-embedding-3-large': { dimensions: 3_072, shortenable: true },
  // The real server's default model, which a local Ollama serves.
  'dengcao/Qwen3-Embedding-0.6B:Q8_0': {
    dimensions: 1_024,
    shortenable: false,
  },
  'text-embedding-ada-002': { dimensions: 1_536, shortenable: false },
};

/**
 * OpenAI's embedding models, or undefined for a name only an
 * OpenAI-compatible server knows (Ollama, vLLM, TEI...): those are passed
 * through as they are and the server decides.
 */
export const knownModel = (name: string): EmbeddingModel | undefined =>
  Object.hasOwn(KNOWN_MODELS, name) ? KNOWN_MODELS[name] : undefined;

// Special-token markers in user text are plain text to the embeddings
// endpoint, so they are counted as text instead of being refused.
const AS_PLAIN_TEXT = { disallowedSpecial: new Set<string>() };

/**
 * Tokens of `text` in cl100k_base, the encoding of every OpenAI embedding
 * model (and the best estimate for other servers' models), or `false` when
 * there are more than `limit` (counting stops there).
 */
export const countTokensWithin = (
  text: string,
  limit: number,
): number | false =>
  // Every token is at least one UTF-8 byte and a UTF-16 unit at most three:
  // a text this short is within the limit, and counting it whole allocates
  // far less than the generator that can stop early.
  text.length * 3 <= limit
    ? countTokens(text)
    : isWithinTokenLimit(text, limit, AS_PLAIN_TEXT);

export const countTokens = (text: string): number =>
  countCl100kTokens(text, AS_PLAIN_TEXT);
