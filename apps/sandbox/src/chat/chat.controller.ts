import {
  Body,
  Controller,
  Headers,
  Inject,
  Param,
  Post,
  Res,
} from '@nestjs/common';
import type { Response } from 'express';
import { openAiHeaders } from '../embeddings/openai-headers.js';
import { OpenAiError } from '../embeddings/openai-error.js';
import { modelOf, Providers } from '../providers/providers.js';
import { SandboxStats } from '../stats.js';
import { answerGarbage, faultException } from '../traffic/fault-answers.js';
import { Faults } from '../traffic/faults.js';
import { ChatRequestLog } from './chat-request-log.js';
import { parseChatRequest } from './chat-request.js';
import { ChatService } from './chat.service.js';
import { Conversation } from './conversation.js';
import { strictSchemaProblem } from './strict-schema.js';

/**
 * What OpenAI's rate limits charge for the completion when the request sets
 * no `max_completion_tokens` (or `max_tokens`).
 */
export const DEFAULT_MAX_COMPLETION_TOKENS = 4096;

/**
 * `POST /v1/chat/completions`, so that `OPENAI_BASE_URL=<sandbox>/v1` drives
 * the real SDK, and the same at `/providers/<name>/v1/chat/completions` for
 * the other providers (docs/sandbox.md, "Providers and rate limits").
 */
@Controller()
export class ChatController {
  constructor(
    @Inject(ChatService) private readonly chat: ChatService,
    @Inject(ChatRequestLog) private readonly log: ChatRequestLog,
    @Inject(Faults) private readonly faults: Faults,
    @Inject(SandboxStats) private readonly stats: SandboxStats,
    @Inject(Providers) private readonly providers: Providers,
  ) {}

  @Post(['v1/chat/completions', 'providers/:provider/v1/chat/completions'])
  create(
    @Param('provider') name: string | undefined,
    @Headers('authorization') authorization: string | undefined,
    @Body() body: unknown,
    @Res() res: Response,
  ): void {
    const started = Date.now();
    const provider = this.providers.open(name, modelOf(body), res);
    const record = this.log.open(body, provider.name);
    res.once('close', () => {
      record.status = res.statusCode;
      this.stats.chatAnswered(record.model ?? '(none)', res.statusCode);
    });
    // Injected errors and garbage come first, as the middleware's do
    // elsewhere: no key is needed to see an outage.
    const error = this.faults.takeError('chat');
    if (error) throw faultException('chat', res, error);
    const garbage = this.faults.takeGarbage('chat');
    if (garbage) return answerGarbage(res, garbage, 'chat');

    provider.authenticate(authorization);
    const request = parseChatRequest(body);
    if (request.format.type === 'json_schema' && request.format.strict) {
      const problem = strictSchemaProblem(
        request.format.name,
        request.format.schema,
      );
      if (problem)
        throw new OpenAiError(400, problem, { param: 'response_format' });
    }
    const conversation = new Conversation(request.messages);
    this.chat.checkContext(conversation);
    // OpenAI charges the prompt and the most the completion may use.
    const rateLimits = provider.admit(
      request.model,
      conversation.promptTokens +
        (request.maxTokens ?? DEFAULT_MAX_COMPLETION_TOKENS),
    );
    const marker = conversation.marker;
    if (marker?.kind === 'error')
      throw faultException('chat', res, {
        status: marker.status,
        remaining: 1,
        untilMs: Infinity,
        retryAfterMs: marker.status === 429 ? 1000 : undefined,
      });
    const { completion, fault } = this.chat.complete(request, conversation);
    record.fault = fault ?? null;
    provider.used(completion.usage.total_tokens);
    res
      .status(200)
      .set(
        openAiHeaders(
          request.model,
          started,
          completion.usage.total_tokens,
          rateLimits,
        ),
      )
      .json(completion);
  }
}
