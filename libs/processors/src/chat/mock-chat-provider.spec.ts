import { z } from 'zod';
import { METRIC } from '@app/observability';
import { ChatStub } from '../../../../test/support/chat-stub.js';
import { metricValue } from '../../../../test/support/metrics.js';
import { logged, startChat } from '../testing/index.js';
import { ChatProviderError, type ChatSchema } from './chat-provider.js';
import { MockChatProvider } from './mock-chat-provider.js';

interface Topics {
  topics: { name: string; language: 'pt' }[];
}

/** Deterministic: the capitalised words of the text. */
const TOPICS: ChatSchema<Topics> = {
  name: 'topics',
  schema: z.object({
    topics: z.array(
      z.object({ name: z.string().trim(), language: z.literal('pt') }),
    ),
  }),
  mockAnswer: (text) => ({
    topics: (text.match(/\p{Lu}\p{L}+/gu) ?? []).map((name) => ({
      name: ` ${name} `,
      language: 'pt' as const,
    })),
  }),
};

const TEXT = 'Lula met Macron in Brasília';
const MESSAGES = [
  { role: 'system', content: 'List the topics.' }, // 16 characters
  { role: 'user', content: TEXT }, // 27 characters
] as const;

const request = (text = TEXT, model = 'gpt-4o-mini') => ({
  model,
  messages: MESSAGES,
  schema: TOPICS,
  text,
});

describe('mock chat', () => {
  it('answers the schema’s mock answer, parsed by the schema, with a usage estimated from lengths', async () => {
    const { app, provider, logs, chatReadiness } = await startChat();
    expect(provider).toBeInstanceOf(MockChatProvider);
    const answer = await provider.complete(request());
    expect(answer).toEqual({
      // Parsed: the schema's trim applied.
      value: {
        topics: ['Lula', 'Macron', 'Brasília'].map((name) => ({
          name,
          language: 'pt',
        })),
      },
      usage: {
        // 16 + 1 + 27 characters, 4 a token.
        promptTokens: 11,
        completionTokens: Math.ceil(JSON.stringify(answer.value).length / 4),
        reasoningTokens: 0,
      },
    });
    await expect(provider.complete(request())).resolves.toEqual(answer);
    expect(await provider.complete(request('nothing here'))).toMatchObject({
      value: { topics: [] },
    });
    expect(logged(logs, 'log').join('\n')).toContain(
      'mock chat: OPENAI_API_KEY is not set',
    );
    await expect(chatReadiness()).resolves.toBe('ready');
    await app.close();
  });

  it('counts its work in the chat metrics, labelled as the real provider’s', async () => {
    const { app, provider } = await startChat({
      env: { LLM_DEFAULT_MODEL: 'house-model' },
    });
    const { usage } = await provider.complete(request());
    await provider.complete(request(TEXT, 'house-model'));
    await provider.complete(request(TEXT, 'invented'));
    const requests = (model: string) =>
      metricValue(METRIC.llmRequests, { model, status: 'success' });
    expect([
      await requests('gpt-4o-mini'),
      await requests('house-model'),
      await requests('other'),
    ]).toEqual([1, 1, 1]);
    expect(
      await metricValue(METRIC.llmTokens, {
        model: 'gpt-4o-mini',
        type: 'prompt',
      }),
    ).toBe(usage.promptTokens);
    expect(
      await metricValue(METRIC.llmTokens, {
        model: 'gpt-4o-mini',
        type: 'completion',
      }),
    ).toBe(usage.completionTokens);
    await app.close();
  });

  it('throws a plain Error when a schema’s mock answer does not match it: a defect, never a task failure', async () => {
    const { app, provider } = await startChat();
    const broken: ChatSchema<Topics> = {
      ...TOPICS,
      mockAnswer: () =>
        ({ topics: [{ name: 'x', language: 'en' }] }) as unknown as Topics,
    };
    const promise = provider.complete({ ...request(), schema: broken });
    await expect(promise).rejects.toThrow(
      /^the mock answer of chat schema topics does not match it at topics\.0\.language: /,
    );
    await expect(promise).rejects.not.toBeInstanceOf(ChatProviderError);
    await app.close();
  });

  describe('with a usable key and EMBEDDING_PROVIDER=mock', () => {
    let stub: ChatStub;
    beforeEach(async () => (stub = await ChatStub.start()));
    afterEach(() => stub.close());

    it('makes no network call', async () => {
      const fetchSpy = vi.spyOn(globalThis, 'fetch');
      const { app, provider, logs } = await startChat({
        env: {
          EMBEDDING_PROVIDER: 'mock',
          OPENAI_API_KEY: 'sk-a-real-looking-key',
          OPENAI_BASE_URL: stub.baseUrl,
        },
      });
      await provider.complete(request());
      expect(stub.requests).toHaveLength(0);
      expect(fetchSpy).not.toHaveBeenCalled();
      expect(logged(logs, 'log').join('\n')).toContain(
        'mock chat: EMBEDDING_PROVIDER is mock',
      );
      await app.close();
      fetchSpy.mockRestore();
    });
  });
});
