import { z } from 'zod';
import { boundedText } from './bounded-text.js';
import type { ChatSchema } from './chat-provider.js';

/**
 * A 200 answer that is not a chat completion: the provider's defect, never
 * the task's. Its message says what is wrong, never quoting the body.
 */
export class InvalidChatAnswerError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InvalidChatAnswerError';
  }
}

/** Token counts as reported; undefined when missing or not a whole number ≥ 0. */
export interface ReportedUsage {
  promptTokens?: number;
  completionTokens?: number;
  reasoningTokens?: number;
}

/** The parts of a chat completion this service reads: its first choice, and the usage. */
export interface ChatCompletionReading {
  finishReason: string | undefined;
  content: string | undefined;
  refusal: string | undefined;
  usage: ReportedUsage;
}

/** Only what is read is checked; everything else a server adds is ignored. */
const CHAT_COMPLETION = z.object({
  choices: z
    .array(
      z.object({
        finish_reason: z.string().nullish(),
        message: z.object({
          content: z.string().nullish(),
          refusal: z.string().nullish(),
        }),
      }),
    )
    .min(1),
});

const tokenCount = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
    ? value
    : undefined;

const field = (value: unknown, key: string): unknown =>
  typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)[key]
    : undefined;

/** `people.0.name: Too big: expected string to have <=80 characters`, bounded. */
export function firstIssue(error: z.ZodError): string {
  const [issue] = error.issues;
  if (!issue) return 'no detail';
  const path = issue.path.map(String).join('.') || '(the root)';
  return boundedText(`${path}: ${issue.message}`);
}

/** @throws InvalidChatAnswerError when `answer` is not a chat completion. */
export function readChatCompletion(answer: unknown): ChatCompletionReading {
  const parsed = CHAT_COMPLETION.safeParse(answer);
  if (!parsed.success) {
    throw new InvalidChatAnswerError(
      `not a chat completion (${firstIssue(parsed.error)})`,
    );
  }
  const { finish_reason, message } = parsed.data.choices[0]!;
  const usage = field(answer, 'usage');
  return {
    finishReason: finish_reason ?? undefined,
    content: message.content ?? undefined,
    refusal: message.refusal || undefined,
    usage: {
      promptTokens: tokenCount(field(usage, 'prompt_tokens')),
      completionTokens: tokenCount(field(usage, 'completion_tokens')),
      reasoningTokens: tokenCount(
        field(field(usage, 'completion_tokens_details'), 'reasoning_tokens'),
      ),
    },
  };
}

/** What a chat completion says, once read: the answer, or why there is none. */
export type ChatVerdict<T> =
  | { kind: 'answer'; value: T }
  /** The model declined (a refusal, or the content filter stopped it). */
  | { kind: 'refused'; message: string }
  /** Cut off at the output bound. */
  | { kind: 'truncated'; message: string }
  /** Not JSON, or JSON the schema refuses: worth one more try. */
  | { kind: 'off_schema'; message: string };

/** The `status` label of `llm_requests_total` for each verdict. */
export const VERDICT_STATUS: Readonly<
  Record<ChatVerdict<unknown>['kind'], string>
> = {
  answer: 'success',
  refused: 'refused',
  truncated: 'truncated',
  off_schema: 'off_schema',
};

/**
 * Judges a completion against the schema it was asked for. A refusal
 * comes first (the model said why it gives no answer), then a cut-off
 * (its JSON is incomplete, which is not the model straying from the
 * schema), then the content itself.
 */
export function judgeCompletion<T>(
  reading: ChatCompletionReading,
  schema: ChatSchema<T>,
  maxCompletionTokens: number,
): ChatVerdict<T> {
  if (reading.refusal !== undefined) {
    return {
      kind: 'refused',
      message: `the model refused to answer: ${JSON.stringify(boundedText(reading.refusal))}`,
    };
  }
  if (reading.finishReason === 'content_filter') {
    return {
      kind: 'refused',
      message: "the chat provider's content filter stopped the answer",
    };
  }
  if (reading.finishReason === 'length') {
    return {
      kind: 'truncated',
      message: `the answer was cut off at the output limit (${maxCompletionTokens} tokens)`,
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(reading.content ?? '');
  } catch {
    return {
      kind: 'off_schema',
      message:
        reading.content === undefined
          ? 'the answer has no content'
          : 'the answer is not JSON',
    };
  }
  const checked = schema.schema.safeParse(json);
  return checked.success
    ? { kind: 'answer', value: checked.data }
    : {
        kind: 'off_schema',
        message: `the answer does not match schema ${schema.name} at ${firstIssue(checked.error)}`,
      };
}
