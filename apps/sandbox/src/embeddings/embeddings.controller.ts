import {
  Body,
  Controller,
  Headers,
  HttpCode,
  Inject,
  Param,
  Post,
  Res,
} from '@nestjs/common';
import type { Response } from 'express';
import { modelOf, Providers } from '../providers/providers.js';
import { faultException } from '../traffic/fault-answers.js';
import { Faults } from '../traffic/faults.js';
import {
  EmbeddingsService,
  MAX_REQUEST_TOKENS,
  type EmbeddingsAnswer,
} from './embeddings.service.js';
import { openAiHeaders } from './openai-headers.js';

/**
 * `POST /v1/embeddings`, so that `OPENAI_BASE_URL=<sandbox>/v1` drives the
 * real SDK, and the same at `/providers/<name>/v1/embeddings` for the other
 * providers (docs/sandbox.md, "Providers and rate limits").
 */
@Controller()
export class EmbeddingsController {
  constructor(
    @Inject(EmbeddingsService) private readonly embeddings: EmbeddingsService,
    @Inject(Providers) private readonly providers: Providers,
    @Inject(Faults) private readonly faults: Faults,
  ) {}

  @Post(['v1/embeddings', 'providers/:provider/v1/embeddings'])
  @HttpCode(200)
  create(
    @Param('provider') name: string | undefined,
    @Headers('authorization') authorization: string | undefined,
    @Body() body: unknown,
    @Res({ passthrough: true }) res: Response,
  ): EmbeddingsAnswer {
    const started = Date.now();
    const provider = this.providers.open(name, modelOf(body), res);
    // Injected errors come first, as the middleware's do elsewhere: no key
    // is needed to see an outage.
    const error = this.faults.takeError('embeddings');
    if (error) throw faultException('embeddings', res, error);
    provider.authenticate(authorization);
    const request = this.embeddings.read(body);
    const rateLimits = provider.admit(request.model, request.tokens);
    const answer = this.embeddings.answer(request);
    provider.used(answer.usage.total_tokens);
    res.set(
      openAiHeaders(
        answer.model,
        started,
        Math.min(answer.usage.total_tokens, MAX_REQUEST_TOKENS),
        rateLimits,
      ),
    );
    return answer;
  }
}
