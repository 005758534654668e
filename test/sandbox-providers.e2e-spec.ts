import { countTokens } from 'gpt-tokenizer/encoding/cl100k_base';
import OpenAI, { AuthenticationError, RateLimitError } from 'openai';
import { waitUntil } from './support/eventually.js';
import {
  call,
  SandboxAdminClient,
  startSandbox,
  type Sandbox,
} from './support/sandbox.js';

const EMBEDDING_MODEL = 'text-embedding-3-small';
const CHAT_MODEL = 'gpt-4o-mini';
const TEXT = 'Lula falou com Dilma Rousseff em Brasília.';

/** Milliseconds of one of OpenAI's durations (`20ms`, `1.5s`, `1m30.5s`). */
function durationMs(text: string | null): number {
  const match = /^(?:(\d+)h)?(?:(\d+)m(?!s))?(?:([\d.]+)s)?(?:(\d+)ms)?$/.exec(
    text ?? '',
  );
  if (!text || !match) throw new Error(`not a duration: ${text}`);
  const [, h = '0', m = '0', s = '0', ms = '0'] = match;
  return (
    Number(h) * 3_600_000 + Number(m) * 60_000 + Number(s) * 1000 + Number(ms)
  );
}

const failure = async (work: Promise<unknown>): Promise<unknown> =>
  work.then(
    () => {
      throw new Error('expected a failure');
    },
    (caught: unknown) => caught,
  );

describe('sandbox providers and their rate limits, through the official openai SDK', () => {
  let sandbox: Sandbox;
  let admin: SandboxAdminClient;
  /** The buckets' clock: tests move it instead of waiting. */
  let nowMs = 0;
  let openai: OpenAI;
  let local: OpenAI;

  const client = (baseURL: string, apiKey = 'sk-any') =>
    new OpenAI({ apiKey, baseURL, maxRetries: 0 });
  const embed = (sdk: OpenAI, input: string | string[] = TEXT) =>
    sdk.embeddings.create({ model: EMBEDDING_MODEL, input }).withResponse();
  const chat = (
    sdk: OpenAI,
    fields: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {},
  ) =>
    sdk.chat.completions
      .create({
        model: CHAT_MODEL,
        messages: [{ role: 'user', content: TEXT }],
        ...fields,
      })
      .withResponse();

  beforeAll(async () => {
    sandbox = await startSandbox({ providers: { local: { apiKey: 'none' } } });
    admin = new SandboxAdminClient(sandbox.url);
    openai = client(sandbox.embeddingsUrl);
    local = client(sandbox.providerUrl('local'));
  });
  afterAll(() => sandbox.close());
  beforeEach(() => {
    sandbox.reset();
    nowMs = 0;
    sandbox.providers.useClock(() => nowMs);
    sandbox.providers.configure('local', {
      apiKey: 'none',
      rpm: null,
      tpm: null,
      windowMs: 60_000,
    });
    sandbox.providers.configure('openai', {
      rpm: null,
      tpm: null,
      windowMs: 60_000,
    });
  });

  it('serves the same embeddings and chat at /providers/local/v1 as at /v1, and counts each provider by model', async () => {
    expect(sandbox.providerUrl('local')).toBe(
      `${sandbox.url}/providers/local/v1`,
    );
    expect(sandbox.providerUrl('openai')).toBe(sandbox.embeddingsUrl);
    const [fromOpenai, fromLocal] = await Promise.all([
      embed(openai),
      embed(local),
    ]);
    expect(fromLocal.data.data[0].embedding).toEqual(
      fromOpenai.data.data[0].embedding,
    );
    const [askedOpenai, askedLocal] = await Promise.all([
      chat(openai),
      chat(local),
    ]);
    expect(askedLocal.data.choices[0].message.content).toBe(
      askedOpenai.data.choices[0].message.content,
    );
    await chat(local, { model: 'qwen3:8b' });
    // An unlimited provider states the generous limits, as /v1 always did.
    expect(askedLocal.response.headers.get('x-ratelimit-limit-requests')).toBe(
      '10000',
    );

    const tokens = countTokens(TEXT);
    const chatTokens = askedLocal.data.usage?.total_tokens ?? 0;
    const stats = sandbox.stats();
    expect(stats.providers).toEqual({
      openai: {
        requests: 2,
        byModel: {
          [EMBEDDING_MODEL]: { total: 1, byStatus: { 200: 1 } },
          [CHAT_MODEL]: { total: 1, byStatus: { 200: 1 } },
        },
        throttled: 0,
        tokens: tokens + chatTokens,
      },
      local: {
        requests: 3,
        byModel: {
          [EMBEDDING_MODEL]: { total: 1, byStatus: { 200: 1 } },
          [CHAT_MODEL]: { total: 1, byStatus: { 200: 1 } },
          'qwen3:8b': { total: 1, byStatus: { 200: 1 } },
        },
        throttled: 0,
        tokens: expect.any(Number) as number,
      },
    });
    // The route counters and the embeddings and chat totals cover every provider.
    expect(stats.requests.embeddings.total).toBe(2);
    expect(stats.chat.byModel[CHAT_MODEL].total).toBe(2);
    expect(
      sandbox.chatRequests().map(({ provider, model }) => [provider, model]),
    ).toEqual(
      expect.arrayContaining([
        ['openai', CHAT_MODEL],
        ['local', CHAT_MODEL],
        ['local', 'qwen3:8b'],
      ]),
    );
    expect((await admin.stats()).providers.local.requests).toBe(3);
  });

  it('answers 404 for a provider name outside [a-z0-9_-]{1,32}', async () => {
    for (const name of ['Local', 'a'.repeat(33), 'lo.cal'])
      expect(
        (
          await call(`${sandbox.url}/providers/${name}/v1/embeddings`, {
            method: 'POST',
            token: 'sk-any',
            body: { model: EMBEDDING_MODEL, input: 'x' },
          })
        ).status,
      ).toBe(404);
    expect(sandbox.stats().providers).toEqual({});
  });

  it('applies each provider’s key rule: none, one key, or the default (any key)', async () => {
    const noKey = (path: string) =>
      call(`${sandbox.url}${path}`, {
        method: 'POST',
        body: { model: EMBEDDING_MODEL, input: 'x' },
      });
    expect((await noKey('/providers/local/v1/embeddings')).status).toBe(200);
    expect(
      (
        await call(`${sandbox.url}/providers/local/v1/chat/completions`, {
          method: 'POST',
          body: {
            model: CHAT_MODEL,
            messages: [{ role: 'user', content: 'hi' }],
          },
        })
      ).status,
    ).toBe(200);
    expect((await noKey('/v1/embeddings')).status).toBe(401);
    // A provider nobody configured has the default rule.
    expect((await noKey('/providers/other/v1/embeddings')).status).toBe(401);

    await admin.providers.configure('local', { apiKey: 'sk-local' });
    expect((await noKey('/providers/local/v1/embeddings')).status).toBe(401);
    const wrong = await failure(embed(local));
    expect(wrong).toBeInstanceOf(AuthenticationError);
    expect(wrong).toMatchObject({ code: 'invalid_api_key' });
    await expect(
      embed(client(sandbox.providerUrl('local'), 'sk-local')),
    ).resolves.toBeDefined();
    expect((await admin.providers.get('local')).apiKey).toBe('fixed');

    await admin.providers.configure('local', { apiKey: null });
    expect((await noKey('/providers/local/v1/embeddings')).status).toBe(401);
    await expect(embed(local)).resolves.toBeDefined();
  });

  it('limits requests per window with OpenAI’s headers, answers 429 with retry-after, and admits again once the bucket refills', async () => {
    sandbox.providers.limit('local', { rpm: 3, tpm: 1000, windowMs: 3000 });
    const tokens = countTokens(TEXT);
    const answers = [];
    for (let i = 0; i < 3; i += 1) answers.push(await embed(local));
    const headers = answers.map(({ response }) => ({
      limitRequests: response.headers.get('x-ratelimit-limit-requests'),
      remainingRequests: response.headers.get('x-ratelimit-remaining-requests'),
      resetRequests: response.headers.get('x-ratelimit-reset-requests'),
      limitTokens: response.headers.get('x-ratelimit-limit-tokens'),
      remainingTokens: Number(
        response.headers.get('x-ratelimit-remaining-tokens'),
      ),
      resetTokensMs: durationMs(
        response.headers.get('x-ratelimit-reset-tokens'),
      ),
    }));
    // The limits are per window; the refill rate is (limit - remaining) / reset.
    expect(headers).toEqual([
      {
        limitRequests: '3',
        remainingRequests: '2',
        resetRequests: '1s',
        limitTokens: '1000',
        remainingTokens: 1000 - tokens,
        resetTokensMs: tokens * 3,
      },
      {
        limitRequests: '3',
        remainingRequests: '1',
        resetRequests: '2s',
        limitTokens: '1000',
        remainingTokens: 1000 - 2 * tokens,
        resetTokensMs: tokens * 6,
      },
      {
        limitRequests: '3',
        remainingRequests: '0',
        resetRequests: '3s',
        limitTokens: '1000',
        remainingTokens: 1000 - 3 * tokens,
        resetTokensMs: tokens * 9,
      },
    ]);

    nowMs = 400;
    const refused = await failure(embed(local));
    expect(refused).toBeInstanceOf(RateLimitError);
    const limited = refused as RateLimitError;
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.headers.get('retry-after-ms')).toBe('600');
    expect(limited.headers.get('x-ratelimit-remaining-requests')).toBe('0');
    expect(limited.headers.get('x-ratelimit-reset-requests')).toBe('2.6s');
    expect(limited.error).toEqual({
      message: `Rate limit reached for ${EMBEDDING_MODEL} in organization org-sandbox on requests per min (RPM): Limit 3, Used 3, Requested 1. Please try again in 600ms. Visit https://platform.openai.com/account/rate-limits to learn more.`,
      type: 'requests',
      param: null,
      code: 'rate_limit_exceeded',
    });
    // A refusal consumes nothing: the same wait, a moment later.
    nowMs = 999;
    expect((await failure(embed(local))) as RateLimitError).toMatchObject({
      status: 429,
    });
    nowMs = 1000;
    const again = await embed(local);
    expect(again.response.headers.get('x-ratelimit-remaining-requests')).toBe(
      '0',
    );

    // The other provider is not limited by local's buckets.
    const fromOpenai = await embed(openai);
    expect(fromOpenai.response.headers.get('x-ratelimit-limit-requests')).toBe(
      '10000',
    );
    const { providers } = sandbox.stats();
    expect(providers.local).toEqual({
      requests: 6,
      byModel: {
        [EMBEDDING_MODEL]: { total: 6, byStatus: { 200: 4, 429: 2 } },
      },
      throttled: 2,
      tokens: 4 * tokens,
    });
    expect(providers.openai.throttled).toBe(0);
  });

  it('charges a chat request its estimated prompt and max_completion_tokens (4,096 without), and refuses one larger than the bucket', async () => {
    sandbox.providers.limit('local', { tpm: 1000, windowMs: 3000 });
    const first = await chat(local, { max_completion_tokens: 400 });
    const prompt = first.data.usage?.prompt_tokens ?? 0;
    const charged = prompt + 400;
    expect(
      Number(first.response.headers.get('x-ratelimit-remaining-tokens')),
    ).toBe(1000 - charged);
    // The request limit is off: stated as the generous one.
    expect(first.response.headers.get('x-ratelimit-limit-requests')).toBe(
      '10000',
    );
    const second = await chat(local, { max_tokens: 400 });
    expect(
      Number(second.response.headers.get('x-ratelimit-remaining-tokens')),
    ).toBe(1000 - 2 * charged);
    expect(
      durationMs(second.response.headers.get('x-ratelimit-reset-tokens')),
    ).toBe(2 * charged * 3);

    const refused = (await failure(
      chat(local, { max_completion_tokens: 400 }),
    )) as RateLimitError;
    expect(refused).toBeInstanceOf(RateLimitError);
    const waitMs = (charged - (1000 - 2 * charged)) * 3;
    expect(refused.error).toMatchObject({
      type: 'tokens',
      code: 'rate_limit_exceeded',
      message: expect.stringContaining(
        `on tokens per min (TPM): Limit 1000, Used ${2 * charged}, Requested ${charged}.`,
      ) as string,
    });
    expect(refused.headers.get('retry-after-ms')).toBe(String(waitMs));
    expect(refused.headers.get('retry-after')).toBe(
      String(Math.ceil(waitMs / 1000)),
    );

    // Without a completion limit OpenAI charges 4,096 tokens: never fits 1,000.
    nowMs = 60_000;
    const tooLarge = (await failure(chat(local))) as RateLimitError;
    expect(tooLarge).toBeInstanceOf(RateLimitError);
    expect(tooLarge.error).toEqual({
      message: `Request too large for ${CHAT_MODEL} in organization org-sandbox on tokens per min (TPM): Limit 1000, Requested ${prompt + 4096}. The input or output tokens must be reduced in order to run successfully. Visit https://platform.openai.com/account/rate-limits to learn more.`,
      type: 'tokens',
      param: null,
      code: 'rate_limit_exceeded',
    });
    expect(tooLarge.headers.get('retry-after')).toBeNull();
    expect(tooLarge.headers.get('x-ratelimit-remaining-tokens')).toBe('1000');
    await expect(
      chat(local, { max_completion_tokens: 400 }),
    ).resolves.toBeDefined();
    expect(sandbox.stats().providers.local).toMatchObject({
      requests: 5,
      throttled: 2,
    });
  });

  it('limits the default provider at /v1 too', async () => {
    sandbox.providers.limit('openai', { rpm: 1, windowMs: 1000 });
    await embed(openai);
    expect(await failure(embed(openai))).toBeInstanceOf(RateLimitError);
    await expect(embed(local)).resolves.toBeDefined();
    nowMs = 1000;
    await expect(embed(openai)).resolves.toBeDefined();
    expect(sandbox.stats().providers.openai.throttled).toBe(1);
  });

  it('sets and shows limits through the admin routes', async () => {
    expect(
      await admin.providers.limit('local', { rpm: 2, windowMs: 3000 }),
    ).toEqual({
      apiKey: 'none',
      rpm: 2,
      tpm: null,
      windowMs: 3000,
      buckets: {
        requests: { limit: 2, remaining: 2, resetMs: 0 },
        tokens: null,
      },
    });
    await embed(local);
    nowMs = 500;
    const providers = await admin.providers.list();
    expect(Object.keys(providers).sort()).toEqual(['local', 'openai']);
    expect(providers.local.buckets.requests).toEqual({
      limit: 2,
      remaining: 1,
      resetMs: 1000,
    });
    expect(providers.openai).toMatchObject({
      apiKey: 'default',
      rpm: null,
      tpm: null,
      windowMs: 60_000,
    });
    // A limit of null (or 0) is off; new limits start with full buckets.
    expect(
      await admin.providers.limit('local', { rpm: null, tpm: 500 }),
    ).toMatchObject({
      rpm: null,
      tpm: 500,
      windowMs: 3000,
      buckets: { requests: null, tokens: { limit: 500, remaining: 500 } },
    });
    await expect(
      admin.providers.limit('local', { rpm: -1, windowMs: 0 }),
    ).rejects.toThrow(/400/);
    await expect(admin.providers.limit('Local', { rpm: 1 })).rejects.toThrow(
      /400/,
    );
  });

  it('refills with real time when no clock is given', async () => {
    sandbox.providers.useClock();
    sandbox.providers.limit('local', { rpm: 1, windowMs: 300 });
    await embed(local);
    const refused = (await failure(embed(local))) as RateLimitError;
    expect(refused).toBeInstanceOf(RateLimitError);
    expect(Number(refused.headers.get('retry-after-ms'))).toBeLessThanOrEqual(
      300,
    );
    await waitUntil(
      () =>
        embed(local).then(
          () => true,
          () => false,
        ),
      'the request bucket refilled',
      { timeoutMs: 5_000, intervalMs: 50 },
    );
  });
});
