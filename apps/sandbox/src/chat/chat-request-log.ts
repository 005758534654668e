import { Injectable } from '@nestjs/common';

/** What the admin view shows of one chat request: what the service asked for, and the answer's status. */
export interface ChatRequestRecord {
  /** When it arrived, epoch milliseconds. */
  atMs: number;
  /** The provider asked: `openai` at `/v1`, `<name>` at `/providers/<name>/v1`. */
  provider: string;
  /** `null` when the body had no string `model`. */
  model: string | null;
  /** The status answered; `null` until the answer left. */
  status: number | null;
  /** `response_format.type` as sent; `null` without a response format. */
  responseFormat: string | null;
  /** `response_format.json_schema.name`, `.strict` and `.schema` as sent. */
  schemaName: string | null;
  strict: boolean | null;
  schema: unknown;
  /** Whether the body carried `temperature` (a reasoning model refuses any but 1). */
  temperatureSent: boolean;
  temperature: unknown;
  maxCompletionTokens: unknown;
  maxTokens: unknown;
  /** How many messages were sent. */
  messages: number;
  /** The chat fault the answer showed (`refuse`, `truncate`, `off_schema`), injected or marked. */
  fault: string | null;
}

/** The requests kept: the last ones. */
const CHAT_REQUESTS_KEPT = 100;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The last chat requests, read from their bodies as sent (well-formed or
 * not), so that a test can assert what the service asked: the schema it
 * named, whether it sent a temperature, its token limit.
 */
@Injectable()
export class ChatRequestLog {
  private records: ChatRequestRecord[] = [];

  open(body: unknown, provider: string): ChatRequestRecord {
    const fields = isRecord(body) ? body : {};
    const format = isRecord(fields.response_format)
      ? fields.response_format
      : undefined;
    const spec =
      format && isRecord(format.json_schema) ? format.json_schema : undefined;
    const record: ChatRequestRecord = {
      atMs: Date.now(),
      provider,
      model: typeof fields.model === 'string' ? fields.model : null,
      status: null,
      responseFormat: typeof format?.type === 'string' ? format.type : null,
      schemaName: typeof spec?.name === 'string' ? spec.name : null,
      strict: typeof spec?.strict === 'boolean' ? spec.strict : null,
      schema: spec?.schema ?? null,
      temperatureSent:
        fields.temperature !== undefined && fields.temperature !== null,
      temperature: fields.temperature ?? null,
      maxCompletionTokens: fields.max_completion_tokens ?? null,
      maxTokens: fields.max_tokens ?? null,
      messages: Array.isArray(fields.messages) ? fields.messages.length : 0,
      fault: null,
    };
    this.records.push(record);
    if (this.records.length > CHAT_REQUESTS_KEPT) this.records.shift();
    return record;
  }

  /** Oldest first. */
  list(): ChatRequestRecord[] {
    return this.records.map((record) => ({ ...record }));
  }

  reset(): void {
    this.records = [];
  }
}
