import {
  IsDefined,
  IsNotEmpty,
  IsOptional,
  IsString,
  Matches,
  MaxLength,
} from 'class-validator';
import { validate } from '@app/validation';
import { FAILURE_CODE } from '../failure-codes.js';

/**
 * Longest text sent to a chat model: a fact-checked claim is a few
 * paragraphs (the reference server keeps 10,000 characters); this bound
 * keeps a hostile task from filling a model's context, and our bill.
 */
export const MAX_VERIFICATION_TEXT_CHARACTERS = 100_000;

/** The content every verification task type has (docs/contract.md §1a). */
export class VerificationContent {
  @IsDefined({ message: 'content.text is required' })
  @IsString({ message: 'content.text must be a string' })
  @Matches(/\S/, { message: 'content.text is empty or only whitespace' })
  text: string;

  @IsOptional()
  @IsString({ message: 'content.model must be a string' })
  @IsNotEmpty({ message: 'content.model must not be empty' })
  @MaxLength(200, { message: 'content.model is longer than 200 characters' })
  model?: string;
}

export type VerificationContentCheck<T extends VerificationContent> =
  | { kind: 'valid'; content: T; model: string }
  | { kind: 'invalid'; code: string; message: string };

/**
 * Checks a verification task's content against its DTO before any call:
 * the shape first (`invalid_content`, naming the field), then the text's
 * length (`text_too_long`). A task without `model` gets `defaultModel`
 * (`LLM_DEFAULT_MODEL`).
 */
export function checkVerificationContent<T extends VerificationContent>(
  dto: new () => T,
  content: unknown,
  defaultModel: string,
): VerificationContentCheck<T> {
  if (
    typeof content !== 'object' ||
    content === null ||
    Array.isArray(content)
  ) {
    return {
      kind: 'invalid',
      code: FAILURE_CODE.invalidContent,
      message: 'content must be an object with a text',
    };
  }
  const checked = validate(dto, content);
  if (checked.kind === 'invalid') {
    return {
      kind: 'invalid',
      code: FAILURE_CODE.invalidContent,
      message: checked.problems.join('; '),
    };
  }
  const { text } = checked.value;
  if (text.length > MAX_VERIFICATION_TEXT_CHARACTERS) {
    return {
      kind: 'invalid',
      code: FAILURE_CODE.textTooLong,
      message: `the text is ${text.length} characters long; verification tasks take at most ${MAX_VERIFICATION_TEXT_CHARACTERS}`,
    };
  }
  return {
    kind: 'valid',
    content: checked.value,
    model: checked.value.model ?? defaultModel,
  };
}
