import { HttpException } from '@nestjs/common';

/** OpenAI's error answer: what the official SDK parses into `APIError`. */
export interface OpenAiErrorBody {
  error: {
    message: string;
    type: string;
    param: string | null;
    code: string | null;
  };
}

const DEFAULTS: Record<
  number,
  { type: string; code: string | null; message: string }
> = {
  400: {
    type: 'invalid_request_error',
    code: null,
    message: 'Invalid request.',
  },
  401: {
    type: 'invalid_request_error',
    code: 'invalid_api_key',
    message:
      'Incorrect API key provided. You can find your API key at https://platform.openai.com/account/api-keys.',
  },
  404: {
    type: 'invalid_request_error',
    code: 'model_not_found',
    message: 'The model does not exist or you do not have access to it.',
  },
  429: {
    type: 'requests',
    code: 'rate_limit_exceeded',
    message: 'Rate limit reached for requests. Please try again later.',
  },
};

export function openAiErrorBody(
  status: number,
  message?: string,
  details: { param?: string | null; code?: string | null; type?: string } = {},
): OpenAiErrorBody {
  const defaults = DEFAULTS[status] ?? {
    type: status >= 500 ? 'server_error' : 'invalid_request_error',
    code: null,
    message:
      status >= 500
        ? 'The server had an error while processing your request. Sorry about that!'
        : 'The request was refused.',
  };
  return {
    error: {
      message: message ?? defaults.message,
      type: details.type ?? defaults.type,
      param: details.param ?? null,
      code: details.code === undefined ? defaults.code : details.code,
    },
  };
}

/** Thrown by the embeddings endpoint; Nest answers the body as is. */
export class OpenAiError extends HttpException {
  constructor(
    status: number,
    message?: string,
    details?: { param?: string | null; code?: string | null; type?: string },
  ) {
    super(openAiErrorBody(status, message, details), status);
  }
}
