import {
  IsDefined,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsPositive,
  IsString,
  Matches,
} from 'class-validator';
import { validate } from '@app/validation';
import { FAILURE_CODE } from '../failure-codes.js';
import {
  DEFAULT_MODEL,
  MAX_INPUT_CHARACTERS,
  MAX_INPUT_TOKENS,
  knownModel,
} from './embedding-models.js';
import type { TokenCount } from './token-count-pool.js';
import type { TokenCounter } from './token-counter.js';

/** A text embedding task's content, checked and measured. */
export interface EmbeddingInput {
  text: string;
  model: string;
  dimensions?: number;
  /** cl100k_base tokens of `text`. */
  tokens: number;
}

export type ContentCheck =
  | { kind: 'valid'; input: EmbeddingInput }
  | { kind: 'invalid'; code: string; message: string };

/** The object form of the content (docs/contract.md §1). */
class TextEmbeddingContent {
  @IsDefined({ message: 'content.text is required' })
  @IsString({ message: 'content.text must be a string' })
  @Matches(/\S/, { message: 'content.text is empty or only whitespace' })
  text: string;

  @IsOptional()
  @IsString({ message: 'content.model must be a string' })
  @IsNotEmpty({ message: 'content.model must not be empty' })
  model?: string;

  @IsOptional()
  @IsInt({ message: 'content.dimensions must be a positive integer' })
  @IsPositive({ message: 'content.dimensions must be a positive integer' })
  dimensions?: number;
}

const invalid = (message: string): ContentCheck => ({
  kind: 'invalid',
  code: FAILURE_CODE.invalidContent,
  message,
});

function dimensionsProblem(
  model: string,
  dimensions: number | undefined,
): string | undefined {
  const known = knownModel(model);
  if (dimensions === undefined || !known) return undefined;
  if (!known.shortenable) {
    return `${model} does not accept dimensions (only text-embedding-3 models can shorten their vectors)`;
  }
  if (dimensions > known.dimensions) {
    return `${model} answers at most ${known.dimensions} dimensions (got ${dimensions})`;
  }
  return undefined;
}

const tooLong = (message: string): ContentCheck => ({
  kind: 'invalid',
  code: FAILURE_CODE.textTooLong,
  message,
});

function tokenLimitProblem(
  count: Exclude<TokenCount, { kind: 'counted' }>,
  text: string,
  model: string,
): string {
  const accepts = `${model} accepts at most ${MAX_INPUT_TOKENS} tokens`;
  return count.kind === 'over_limit'
    ? `the text is more than ${MAX_INPUT_TOKENS} tokens long; ${accepts}`
    : `the tokens of this ${text.length}-character text could not be counted within ${count.timeoutMs / 1000} s: it holds runs without a space far longer than real text has; ${accepts}`;
}

/**
 * Validates a text embedding task's content before any provider call:
 * `{text, model?, dimensions?}` or a bare string (the text, with the default
 * model). Models this service does not know are passed through to the
 * provider, which decides. The text is measured last: refused by its length
 * alone when it cannot fit, else counted by `tokens` without blocking the
 * event loop.
 */
export async function checkEmbeddingContent(
  content: unknown,
  tokens: TokenCounter,
): Promise<ContentCheck> {
  if (typeof content === 'string') content = { text: content };
  if (
    typeof content !== 'object' ||
    content === null ||
    Array.isArray(content)
  ) {
    return invalid(
      'content must be an object {text, model, dimensions?} or a string',
    );
  }
  const checked = validate(TextEmbeddingContent, content);
  if (checked.kind === 'invalid') return invalid(checked.problems.join('; '));

  const parsed = checked.value;
  const model = parsed.model ?? DEFAULT_MODEL;
  const problem = dimensionsProblem(model, parsed.dimensions);
  if (problem) {
    return {
      kind: 'invalid',
      code: FAILURE_CODE.unsupportedDimensions,
      message: problem,
    };
  }
  const { text, dimensions } = parsed;
  if (text.length > MAX_INPUT_CHARACTERS) {
    return tooLong(
      `the text is ${text.length} characters long; no text over ${MAX_INPUT_CHARACTERS} characters fits in ${MAX_INPUT_TOKENS} tokens, and ${model} accepts at most ${MAX_INPUT_TOKENS} tokens`,
    );
  }
  const count = await tokens.countWithin(text, MAX_INPUT_TOKENS);
  if (count.kind !== 'counted')
    return tooLong(tokenLimitProblem(count, text, model));
  return {
    kind: 'valid',
    input: { text, model, dimensions, tokens: count.tokens },
  };
}
