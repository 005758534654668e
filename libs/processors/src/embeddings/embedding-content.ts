import { plainToInstance } from 'class-transformer';
import {
  IsDefined,
  IsInt,
  IsNotEmpty,
  IsOptional,
  IsPositive,
  IsString,
  Matches,
  validateSync,
} from 'class-validator';
import { FAILURE_CODE } from '../failure-codes.js';
import {
  DEFAULT_MODEL,
  MAX_INPUT_TOKENS,
  countTokens,
  countTokensWithin,
  knownModel,
} from './embedding-models.js';

/** A text embedding task's content, checked and measured. */
export interface EmbeddingInput {
  text: string;
  model: string;
  dimensions?: number;
  /** cl100k_base tokens of `text`. */
  tokens: number;
}

export type ContentCheck =
  | { ok: true; input: EmbeddingInput }
  | { ok: false; code: string; message: string };

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
  ok: false,
  code: FAILURE_CODE.invalidContent,
  message,
});

/** One line per invalid field, the most basic complaint first. */
function shapeProblems(content: TextEmbeddingContent): string[] {
  return validateSync(content).map(({ constraints = {} }) => {
    const { isDefined, isString, ...others } = constraints;
    return isDefined ?? isString ?? Object.values(others)[0];
  });
}

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

/**
 * Validates a text embedding task's content before any provider call:
 * `{text, model?, dimensions?}` or a bare string (the text, with the default
 * model). Models this service does not know are passed through to the
 * provider, which decides.
 */
export function checkEmbeddingContent(content: unknown): ContentCheck {
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
  const parsed = plainToInstance(TextEmbeddingContent, content);
  const problems = shapeProblems(parsed);
  if (problems.length > 0) return invalid(problems.join('; '));

  const model = parsed.model ?? DEFAULT_MODEL;
  const problem = dimensionsProblem(model, parsed.dimensions);
  if (problem) {
    return {
      ok: false,
      code: FAILURE_CODE.unsupportedDimensions,
      message: problem,
    };
  }
  const tokens = countTokensWithin(parsed.text, MAX_INPUT_TOKENS);
  if (tokens === false) {
    return {
      ok: false,
      code: FAILURE_CODE.textTooLong,
      message: `the text is ${countTokens(parsed.text)} tokens long; ${model} accepts at most ${MAX_INPUT_TOKENS}`,
    };
  }
  return {
    ok: true,
    input: { text: parsed.text, model, dimensions: parsed.dimensions, tokens },
  };
}
