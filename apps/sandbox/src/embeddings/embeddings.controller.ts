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
import { openAiHeaders } from './openai-headers.js';

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
    res.set(
      openAiHeaders(
        answer.model,
        started,
        Math.min(answer.usage.total_tokens, MAX_REQUEST_TOKENS),
      ),
    );
    return answer;
  }
}
