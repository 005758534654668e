import type { Counter } from 'prom-client';
import { type Dispatcher, Pool } from 'undici';
import {
  type AnswerHeaders,
  formatDuration,
  messageOf,
  retryAfterMs,
} from '@app/resilience';
import { InvalidWikidataAnswer, apiErrorOf } from './wikidata-answers.js';
import {
  OUTAGE,
  REFUSAL,
  WikidataRequestFailure,
  type WikidataRequestStatus,
} from './wikidata-request-failure.js';

/** The most read of an answer whose body nobody needs (an error page). */
const MAX_ERROR_BODY_BYTES = 16 * 1024;

/** One request: its action (for messages) and its target (path and query). */
export interface WikidataRequest {
  action: string;
  target: string;
}

export interface WikidataTransportOptions {
  apiUrl: string;
  userAgent: string;
  timeoutMs: number;
  maxlagSeconds: number;
  maxAnswerBytes: number;
  /** Keep-alive connections kept open: the most requests in flight. */
  connections: number;
  requests: Counter<'status'>;
}

type Body = Dispatcher.ResponseData['body'];

/** A system error's code (ECONNREFUSED), or undici's with its message, or the message. */
function causeOf(error: unknown): string {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return messageOf(error);
  return code.startsWith('UND_ERR') ? `${code}: ${messageOf(error)}` : code;
}

/** Text from the peer, quoted in a message: bounded, on one line. */
const quoted = (text: string): string =>
  JSON.stringify(text.replace(/\s+/g, ' ').slice(0, 200));

/**
 * One HTTP exchange with Wikidata's action API over a keep-alive undici
 * pool, counted in `wikidata_requests_total` whatever its outcome: the
 * answer read (bounded), parsed, checked for MediaWiki's errors and read
 * by the caller's reader, so that an invalid answer is counted as such and
 * never as a success. Every failure is a `WikidataRequestFailure`; the
 * policies (retry, breaker, concurrency) belong to the caller.
 *
 * Redirects are not followed (undici's `request` never does): a 3xx is a
 * failure that says so, so no request goes to a host nobody configured.
 * No `Accept-Encoding` is sent, as undici's `request` sends none: the
 * answer comes as it is, and the bound on the bytes read is a bound on
 * the text parsed.
 */
export class WikidataTransport {
  private readonly pool: Pool;
  private readonly headers: Record<string, string>;

  constructor(private readonly options: WikidataTransportOptions) {
    this.pool = new Pool(new URL(options.apiUrl).origin, {
      connections: options.connections,
    });
    this.headers = {
      'user-agent': options.userAgent,
      accept: 'application/json',
    };
  }

  async close(): Promise<void> {
    await this.pool.destroy();
  }

  /** Sends `request` once and answers what `read` makes of its JSON. */
  async exchange<T>(
    request: WikidataRequest,
    read: (answer: unknown) => T,
  ): Promise<T> {
    // Only a bug in `read` leaves it unset: its answer was not usable.
    let status: WikidataRequestStatus = 'invalid_answer';
    try {
      const answer = await this.answer(request);
      let value: T;
      try {
        value = read(answer);
      } catch (error) {
        if (!(error instanceof InvalidWikidataAnswer)) throw error; // a bug
        throw this.invalid(request, error.message);
      }
      status = 'success';
      return value;
    } catch (error) {
      if (error instanceof WikidataRequestFailure) status = error.status;
      throw error;
    } finally {
      this.options.requests.inc({ status });
    }
  }

  /** The parsed JSON of a 2xx answer that is not an API error. */
  private async answer(request: WikidataRequest): Promise<unknown> {
    const signal = AbortSignal.timeout(this.options.timeoutMs);
    let body: Body | undefined;
    try {
      const response = await this.pool.request({
        method: 'GET',
        path: request.target,
        headers: this.headers,
        signal,
      });
      body = response.body;
      const { statusCode, headers } = response;
      if (statusCode < 200 || statusCode >= 300) {
        await body.dump({ limit: MAX_ERROR_BODY_BYTES }).catch(() => {});
        throw this.statusFailure(request, statusCode, headers);
      }
      const text = await this.bodyText(request, body, headers);
      let answer: unknown;
      try {
        answer = JSON.parse(text);
      } catch {
        throw this.invalid(request, 'the body is not JSON');
      }
      this.throwApiError(request, answer, headers);
      return answer;
    } catch (error) {
      if (error instanceof WikidataRequestFailure) throw error;
      if (signal.aborted) {
        throw new WikidataRequestFailure(
          `Wikidata did not answer ${request.action} within ${formatDuration(this.options.timeoutMs)}`,
          'timeout',
          OUTAGE,
        );
      }
      throw new WikidataRequestFailure(
        `cannot reach Wikidata for ${request.action} (${causeOf(error)})`,
        'connection_error',
        OUTAGE,
      );
    } finally {
      // Whatever was left unread: the connection cannot carry another request.
      if (body && !body.readableEnded) body.destroy();
    }
  }

  /** The body as text, refused past `maxAnswerBytes` (announced or read). */
  private async bodyText(
    request: WikidataRequest,
    body: Body,
    headers: AnswerHeaders,
  ): Promise<string> {
    const cap = this.options.maxAnswerBytes;
    const declared = Number([headers['content-length']].flat()[0]);
    if (declared > cap) throw this.tooLarge(request);
    const parts: Buffer[] = [];
    let size = 0;
    for await (const chunk of body as AsyncIterable<Buffer>) {
      size += chunk.length;
      if (size > cap) throw this.tooLarge(request);
      parts.push(chunk);
    }
    return Buffer.concat(parts, size).toString('utf8');
  }

  /**
   * MediaWiki answers its errors with a 200: `maxlag` (replicas lag more
   * than we accept) is waited out as `Retry-After` asks; any other is our
   * request's problem or Wikidata's, never the task's.
   */
  private throwApiError(
    request: WikidataRequest,
    answer: unknown,
    headers: AnswerHeaders,
  ): void {
    let error: ReturnType<typeof apiErrorOf>;
    try {
      error = apiErrorOf(answer);
    } catch (invalid) {
      throw this.invalid(request, messageOf(invalid));
    }
    if (!error) return;
    if (error.code === 'maxlag') {
      const lag = error.lag === undefined ? '' : ` ${error.lag} s`;
      throw new WikidataRequestFailure(
        `Wikidata's replicas lag${lag}, more than maxlag=${this.options.maxlagSeconds} accepts (${request.action})`,
        'maxlag',
        { ...OUTAGE, retryAfterMs: retryAfterMs(headers) },
      );
    }
    // Not counted by the breaker: a request Wikidata refuses (a language it
    // does not know) says nothing about whether it is up.
    throw new WikidataRequestFailure(
      `Wikidata refused ${request.action} with API error ${quoted(error.code)}: ${quoted(error.info)}`,
      'api_error',
      { retryable: false, breakerFailure: false },
    );
  }

  private statusFailure(
    request: WikidataRequest,
    status: number,
    headers: AnswerHeaders,
  ): WikidataRequestFailure {
    const label = String(status) as `${number}`;
    const what = `Wikidata answered ${status} to ${request.action}`;
    if (status === 403) {
      return new WikidataRequestFailure(
        `${what}: it refuses our User-Agent; set WIKIDATA_USER_AGENT to a descriptive agent with a contact (an e-mail address or a URL), as Wikimedia's policy asks`,
        label,
        { ...REFUSAL, userAgentRefused: true },
      );
    }
    if (status === 408 || status === 429 || status >= 500) {
      return new WikidataRequestFailure(
        status === 429 ? `${what}: it is rate limiting us` : what,
        label,
        { ...OUTAGE, retryAfterMs: retryAfterMs(headers) },
      );
    }
    if (status >= 300 && status < 400) {
      const location = [headers.location].flat()[0];
      return new WikidataRequestFailure(
        `${what}, a redirect${location ? ` to ${quoted(location)}` : ''}, which is not followed: WIKIDATA_API_URL must name the action API itself (…/w/api.php)`,
        label,
        REFUSAL,
      );
    }
    return new WikidataRequestFailure(
      `${what} (check WIKIDATA_API_URL)`,
      label,
      REFUSAL,
    );
  }

  private invalid(
    request: WikidataRequest,
    detail: string,
  ): WikidataRequestFailure {
    // Wikidata's defect, or not Wikidata: counted by the breaker, not
    // retried (the same request would get the same answer).
    return new WikidataRequestFailure(
      `Wikidata answered ${request.action} with an invalid answer: ${detail}`,
      'invalid_answer',
      REFUSAL,
    );
  }

  private tooLarge(request: WikidataRequest): WikidataRequestFailure {
    return new WikidataRequestFailure(
      `Wikidata answered ${request.action} with more than ${this.options.maxAnswerBytes} bytes`,
      'invalid_answer',
      { retryable: false, breakerFailure: false, tooLarge: true },
    );
  }
}
