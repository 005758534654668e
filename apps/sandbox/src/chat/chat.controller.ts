import { Body, Controller, Headers, Inject, Post, Res } from '@nestjs/common';
import type { Response } from 'express';
import { openAiHeaders } from '../embeddings/openai-headers.js';
import { OpenAiError } from '../embeddings/openai-error.js';
import { SandboxStats } from '../stats.js';
import { answerGarbage, faultException } from '../traffic/fault-answers.js';
import { Faults } from '../traffic/faults.js';
import { ChatRequestLog } from './chat-request-log.js';
import { parseChatRequest } from './chat-request.js';
import { ChatService } from './chat.service.js';
import { Conversation } from './conversation.js';
import { strictSchemaProblem } from './strict-schema.js';

/** `POST /v1/chat/completions`, so that `OPENAI_BASE_URL=<sandbox>/v1` drives the real SDK. */
@Controller('v1')
export class ChatController {
  constructor(
    @Inject(ChatService) private readonly chat: ChatService,
    @Inject(ChatRequestLog) private readonly log: ChatRequestLog,
    @Inject(Faults) private readonly faults: Faults,
    @Inject(SandboxStats) private readonly stats: SandboxStats,
  ) {}

  @Post('chat/completions')
  create(
    @Headers('authorization') authorization: string | undefined,
    @Body() body: unknown,
    @Res() res: Response,
  ): void {
    const started = Date.now();
    const record = this.log.open(body);
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

    this.chat.authenticate(authorization);
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
    res
      .status(200)
      .set(openAiHeaders(request.model, started, completion.usage.total_tokens))
      .json(completion);
  }
}
