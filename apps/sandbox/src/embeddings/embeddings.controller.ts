import { randomUUID } from 'node:crypto';
import {
  Body,
  Controller,
  Headers,
  HttpCode,
  Inject,
  Post,
  Res,
} from '@nestjs/common';
import type { Response } from 'express';
import {
  EmbeddingsService,
  MAX_REQUEST_TOKENS,
  type EmbeddingsAnswer,
} from './embeddings.service.js';

/** The generous, never-exhausted rate limits the sandbox reports. */
const REQUEST_LIMIT = 10_000;
const TOKEN_LIMIT = 10_000_000;

/** `POST /v1/embeddings`, so that `OPENAI_BASE_URL=<sandbox>/v1` drives the real SDK. */
@Controller('v1')
export class EmbeddingsController {
  constructor(
    @Inject(EmbeddingsService) private readonly embeddings: EmbeddingsService,
  ) {}

  @Post('embeddings')
  @HttpCode(200)
  create(
    @Headers('authorization') authorization: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ): EmbeddingsAnswer {
    const started = Date.now();
    this.embeddings.authenticate(authorization);
    const answer = this.embeddings.embed(body);
    res.set({
      'openai-model': answer.model,
      'openai-processing-ms': String(Date.now() - started),
      'x-request-id': `req_${randomUUID().replaceAll('-', '')}`,
      'x-ratelimit-limit-requests': String(REQUEST_LIMIT),
      'x-ratelimit-remaining-requests': String(REQUEST_LIMIT - 1),
      'x-ratelimit-reset-requests': '6ms',
      'x-ratelimit-limit-tokens': String(TOKEN_LIMIT),
      'x-ratelimit-remaining-tokens': String(
        TOKEN_LIMIT - Math.min(answer.usage.total_tokens, MAX_REQUEST_TOKENS),
      ),
      'x-ratelimit-reset-tokens': '0s',
    });
    return answer;
  }
}
