import OpenAI, {
  APIError,
  AuthenticationError,
  BadRequestError,
  NotFoundError,
  RateLimitError,
} from 'openai';
import { LengthFinishReasonError } from 'openai/error';
import { zodResponseFormat } from 'openai/helpers/zod';
import { z } from 'zod';
import {
  call,
  fetchToken,
  SandboxAdminClient,
  startSandbox,
  type Sandbox,
  type TaskDocument,
} from './support/sandbox.js';

const SEVERITIES = [
  'critical',
  'high_3',
  'high_2',
  'high_1',
  'medium_3',
  'medium_2',
  'medium_1',
  'low_3',
  'low_2',
  'low_1',
] as const;

/** What identifying_data could ask the model, as the service might write it. */
const People = z.object({
  personalities: z
    .array(
      z.object({
        name: z.string(),
        mentioned_as: z.string(),
        confidence: z.number().min(0).max(1),
        context: z.string(),
      }),
    )
    .max(10),
});
const Severity = z.object({ severity: z.enum(SEVERITIES) });

const TEXT =
  'POLÍTICA — Luiz Inácio Lula da Silva disse em Brasília que Jair Bolsonaro mentiu sobre a vacina.';

const jsonSchema = (name: string, schema: z.ZodType) => ({
  type: 'json_schema' as const,
  json_schema: {
    name,
    strict: true,
    schema: z.toJSONSchema(schema) as Record<string, unknown>,
  },
});

const failure = async (work: Promise<unknown>): Promise<unknown> =>
  work.then(
    () => {
      throw new Error('expected a failure');
    },
    (caught: unknown) => caught,
  );

describe('sandbox chat completions, through the official openai SDK', () => {
  let sandbox: Sandbox;
  let admin: SandboxAdminClient;
  let openai: OpenAI;

  const ask = (
    text: string,
    schema: z.ZodType = People,
    fields: Partial<OpenAI.ChatCompletionCreateParamsNonStreaming> = {},
  ) =>
    openai.chat.completions.create({
      model: 'gpt-4o-mini',
      messages: [
        { role: 'system', content: 'Extract what is asked. Answer in JSON.' },
        { role: 'user', content: text },
      ],
      response_format: jsonSchema('answer', schema),
      ...fields,
    });

  beforeAll(async () => {
    sandbox = await startSandbox();
    admin = new SandboxAdminClient(sandbox.url);
    openai = new OpenAI({
      apiKey: 'sk-any-key',
      baseURL: sandbox.embeddingsUrl,
      maxRetries: 0,
    });
  });
  afterAll(() => sandbox.close());
  beforeEach(() => sandbox.reset());

  describe('structured outputs', () => {
    it('answers a chat completion whose content validates against the schema asked for', async () => {
      const { data: answer, response } = await ask(TEXT, People, {
        temperature: 0.2,
      }).withResponse();
      expect(answer).toMatchObject({
        id: expect.stringMatching(/^chatcmpl-/),
        object: 'chat.completion',
        created: expect.any(Number),
        model: 'gpt-4o-mini',
        choices: [
          {
            index: 0,
            message: { role: 'assistant', refusal: null },
            finish_reason: 'stop',
            logprobs: null,
          },
        ],
      });
      const content = answer.choices[0].message.content ?? '';
      const people = People.parse(JSON.parse(content));
      expect(people.personalities.map((p) => p.name)).toEqual([
        'POLÍTICA',
        'Luiz Inácio Lula da Silva',
        'Brasília',
      ]);
      expect(people.personalities[1]).toMatchObject({
        mentioned_as: 'Luiz Inácio Lula da Silva',
        confidence: 0.9,
        context: expect.stringContaining('Lula da Silva'),
      });
      const prompt = Math.ceil(
        ('Extract what is asked. Answer in JSON.'.length + TEXT.length) / 4,
      );
      expect(answer.usage).toMatchObject({
        prompt_tokens: prompt,
        completion_tokens: Math.ceil(content.length / 4),
        total_tokens: prompt + Math.ceil(content.length / 4),
        completion_tokens_details: { reasoning_tokens: 0 },
      });
      expect(response.headers.get('x-request-id')).toMatch(/^req_/);
      expect(response.headers.get('x-ratelimit-remaining-tokens')).toMatch(
        /^\d+$/,
      );
      // The same conversation always gets the same answer.
      const again = await ask(TEXT, People, { temperature: 0.2 });
      expect(again.choices[0].message.content).toBe(content);
    });

    it('works with the SDK’s parse helper and zodResponseFormat', async () => {
      const answer = await openai.chat.completions.parse({
        model: 'gpt-4.1-mini',
        messages: [{ role: 'user', content: TEXT }],
        response_format: zodResponseFormat(Severity, 'severity'),
      });
      const parsed = answer.choices[0].message.parsed;
      expect(SEVERITIES).toContain(parsed?.severity);
    });

    it('answers plain text without a response format', async () => {
      const answer = await openai.chat.completions.create({
        model: 'llama3.1',
        messages: [{ role: 'user', content: 'Diga olá para Pelé.' }],
      });
      expect(answer.choices[0].message.content).toBe(
        'The sandbox read: Diga olá para Pelé.',
      );
    });

    it('refuses a strict schema OpenAI would refuse, with its 400', async () => {
      const error = await failure(
        ask(TEXT, z.object({ name: z.string(), note: z.string().optional() })),
      );
      expect(error).toBeInstanceOf(BadRequestError);
      expect((error as BadRequestError).error).toEqual({
        message:
          "Invalid schema for response_format 'answer': In context=(), 'required' is required to be supplied and to be an array including every key in properties. Missing 'note'.",
        type: 'invalid_request_error',
        param: 'response_format',
        code: null,
      });
      const root = await failure(
        openai.chat.completions.create({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: TEXT }],
          response_format: {
            type: 'json_schema',
            json_schema: {
              name: 'topics',
              strict: true,
              schema: { type: 'array', items: { type: 'string' } },
            },
          },
        }),
      );
      expect((root as BadRequestError).message).toContain(
        `schema must be a JSON Schema of 'type: "object"', got 'type: "array"'`,
      );
    });
  });

  describe('models', () => {
    it('refuses a temperature other than 1 on reasoning models, and reports reasoning tokens', async () => {
      for (const model of ['o3-mini', 'o4-mini', 'gpt-5', 'gpt-5-nano', 'o1']) {
        const error = await failure(
          ask(TEXT, Severity, { model, temperature: 0.2 }),
        );
        expect(error).toBeInstanceOf(BadRequestError);
        expect((error as BadRequestError).error).toEqual({
          message:
            "Unsupported value: 'temperature' does not support 0.2 with this model. Only the default (1) value is supported.",
          type: 'invalid_request_error',
          param: 'temperature',
          code: 'unsupported_value',
        });
      }
      const answer = await ask(TEXT, Severity, {
        model: 'gpt-5-mini',
        temperature: 1,
      });
      const usage = answer.usage!;
      const reasoning = usage.completion_tokens_details!.reasoning_tokens!;
      expect(reasoning).toBeGreaterThan(0);
      expect(usage.completion_tokens).toBeGreaterThan(reasoning);
      Severity.parse(JSON.parse(answer.choices[0].message.content ?? ''));
    });

    it('stops at max_completion_tokens, a reasoning model before any answer', async () => {
      const small = await ask(TEXT, People, {
        model: 'gpt-5-mini',
        max_completion_tokens: 40,
      });
      expect(small.choices[0]).toMatchObject({
        finish_reason: 'length',
        message: { content: '' },
      });
      expect(small.usage?.completion_tokens).toBe(40);
      const cut = await ask(TEXT, People, { max_completion_tokens: 10 });
      expect(cut.choices[0].finish_reason).toBe('length');
      expect(cut.choices[0].message.content).toHaveLength(40);
    });

    it('answers 404 model_not_found for an embeddings model', async () => {
      const error = await failure(
        ask(TEXT, People, { model: 'text-embedding-3-small' }),
      );
      expect(error).toBeInstanceOf(NotFoundError);
      expect((error as NotFoundError).error).toEqual({
        message:
          'The model `text-embedding-3-small` does not exist or you do not have access to it.',
        type: 'invalid_request_error',
        param: null,
        code: 'model_not_found',
      });
    });

    it('answers 400 context_length_exceeded over 128,000 estimated tokens', async () => {
      const text = 'palavra '.repeat(64_001);
      const error = await failure(ask(text));
      expect(error).toBeInstanceOf(BadRequestError);
      const tokens = Math.ceil(
        ('Extract what is asked. Answer in JSON.'.length + text.length) / 4,
      );
      expect((error as BadRequestError).error).toEqual({
        message: `This model's maximum context length is 128000 tokens. However, your messages resulted in ${tokens} tokens. Please reduce the length of the messages.`,
        type: 'invalid_request_error',
        param: 'messages',
        code: 'context_length_exceeded',
      });
      await expect(ask('palavra '.repeat(60_000))).resolves.toBeDefined();
    });

    it('needs a key, and only the configured one when set', async () => {
      const missing = await call(`${sandbox.embeddingsUrl}/chat/completions`, {
        method: 'POST',
        body: {
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: 'x' }],
        },
      });
      expect(missing.status).toBe(401);
      const strict = await startSandbox({ embeddingsApiKey: 'sk-right' });
      try {
        const wrong = new OpenAI({
          apiKey: 'sk-wrong',
          baseURL: strict.embeddingsUrl,
          maxRetries: 0,
        });
        const error = await failure(
          wrong.chat.completions.create({
            model: 'gpt-4o-mini',
            messages: [{ role: 'user', content: 'x' }],
          }),
        );
        expect(error).toBeInstanceOf(AuthenticationError);
        expect((error as AuthenticationError).code).toBe('invalid_api_key');
      } finally {
        await strict.close();
      }
    });
  });

  describe('faults', () => {
    it('refuses, truncates or leaves the schema for the next N completions', async () => {
      await admin.faults.chat({ kind: 'refuse', count: 1 });
      expect((await admin.faults.active()).chat).toEqual({
        kind: 'refuse',
        remaining: 1,
      });
      const refused = await ask(TEXT);
      expect(refused.choices[0]).toMatchObject({
        finish_reason: 'stop',
        message: {
          content: null,
          refusal: "I'm sorry, but I can't help with that request.",
        },
      });
      expect((await ask(TEXT)).choices[0].message.content).not.toBeNull();
      expect((await admin.faults.active()).chat).toBeUndefined();

      await admin.faults.chat({ kind: 'truncate', count: 1 });
      const truncated = await ask(TEXT);
      expect(truncated.choices[0].finish_reason).toBe('length');
      const cut = truncated.choices[0].message.content ?? '';
      expect(cut.length).toBeGreaterThan(0);
      expect(() => JSON.parse(cut)).toThrow();

      await admin.faults.chat({ kind: 'off_schema' });
      for (let i = 0; i < 2; i += 1) {
        const off = await ask(TEXT);
        const content = JSON.parse(off.choices[0].message.content ?? '');
        expect(content).toEqual({ unexpected: true });
        expect(People.safeParse(content).success).toBe(false);
      }
      await admin.faults.reset();
      People.parse(
        JSON.parse((await ask(TEXT)).choices[0].message.content ?? ''),
      );
      expect(sandbox.stats().chat.faulted).toEqual({
        refuse: 1,
        truncate: 1,
        off_schema: 2,
      });
    });

    it('makes the SDK’s parse helper fail on a truncated answer', async () => {
      await admin.faults.chat({ kind: 'truncate', count: 1 });
      const error = await failure(
        openai.chat.completions.parse({
          model: 'gpt-4o-mini',
          messages: [{ role: 'user', content: TEXT }],
          response_format: zodResponseFormat(People, 'people'),
        }),
      );
      expect(error).toBeInstanceOf(LengthFinishReasonError);
    });

    it('misbehaves for the one conversation with a marker, whatever the order', async () => {
      const texts = Array.from(
        { length: 6 },
        (_, i) => `Tarefa ${i} sobre Dilma Rousseff.`,
      );
      texts[2] += ' [[refuse]]';
      texts[4] += ' [[truncate]]';
      texts[5] += ' [[off_schema]]';
      const answers = await Promise.all(
        texts.reverse().map((text) => ask(text)),
      );
      const byText = new Map(
        texts.map((text, i) => [text, answers[i].choices[0]]),
      );
      for (const [text, choice] of byText) {
        if (text.includes('[[refuse]]'))
          expect(choice.message.refusal).not.toBeNull();
        else if (text.includes('[[truncate]]'))
          expect(choice.finish_reason).toBe('length');
        else if (text.includes('[[off_schema]]'))
          expect(JSON.parse(choice.message.content ?? '')).toEqual({
            unexpected: true,
          });
        else People.parse(JSON.parse(choice.message.content ?? ''));
      }
    });

    it('answers an error status for a marker, 429 with retry-after', async () => {
      const error = await failure(ask('Lula [[error:429]]'));
      expect(error).toBeInstanceOf(RateLimitError);
      expect((error as RateLimitError).headers.get('retry-after')).toBe('1');
      expect((error as RateLimitError).code).toBe('rate_limit_exceeded');
      const outage = await failure(ask('Lula [[error:503]]'));
      expect((outage as APIError).status).toBe(503);
      expect((outage as APIError).error).toMatchObject({
        type: 'server_error',
      });
    });

    it('applies error faults before the key is read, which a retrying SDK rides out', async () => {
      await admin.faults.error({
        target: 'chat',
        status: 503,
        count: 1,
        retryAfterMs: 10,
      });
      const patient = new OpenAI({
        apiKey: 'sk-x',
        baseURL: sandbox.embeddingsUrl,
        maxRetries: 1,
      });
      const answer = await patient.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: TEXT }],
      });
      expect(answer.choices[0].finish_reason).toBe('stop');
      expect(sandbox.stats().chat.byModel).toEqual({
        'gpt-4o-mini': { total: 2, byStatus: { 200: 1, 503: 1 } },
      });

      await admin.faults.error({ target: 'chat', status: 500, count: 1 });
      const keyless = await call(`${sandbox.embeddingsUrl}/chat/completions`, {
        method: 'POST',
        body: { model: 'gpt-4o', messages: [] },
      });
      expect(keyless.status).toBe(500);
      expect(keyless.body).toMatchObject({ error: { type: 'server_error' } });
    });

    it('answers garbage and adds latency on the chat route only', async () => {
      await admin.faults.garbage({ target: 'chat', kind: 'html' });
      expect((await admin.faults.active()).garbageOn).toEqual({
        chat: { remaining: 1, kind: 'html' },
      });
      // The SDK hands back a body that is not JSON as text.
      expect(await ask(TEXT)).toMatch(/^<html>/);
      await admin.faults.garbage({ target: 'chat', kind: 'truncated-json' });
      expect(await failure(ask(TEXT))).toBeInstanceOf(SyntaxError);
      await expect(ask(TEXT)).resolves.toHaveProperty('choices');

      await admin.faults.latency({ target: 'chat', ms: 200 });
      const started = performance.now();
      await ask(TEXT);
      expect(performance.now() - started).toBeGreaterThanOrEqual(195);
      const quick = performance.now();
      await openai.embeddings.create({
        model: 'text-embedding-3-small',
        input: 'x',
      });
      expect(performance.now() - quick).toBeLessThan(195);
    });

    it('refuses malformed chat faults', async () => {
      const answer = await call(`${sandbox.url}/admin/faults/chat`, {
        method: 'POST',
        body: { kind: 'explode', count: 0 },
      });
      expect(answer.status).toBe(400);
    });
  });

  describe('what the service asked', () => {
    it('counts requests by model and status, and keeps the last ones', async () => {
      await ask(TEXT, People, { temperature: 0.2, max_completion_tokens: 500 });
      await ask(TEXT, Severity, { model: 'gpt-5-mini' });
      await failure(
        ask(TEXT, Severity, { model: 'gpt-5-mini', temperature: 0 }),
      );
      expect(sandbox.stats().chat).toMatchObject({
        completions: 2,
        byModel: {
          'gpt-4o-mini': { total: 1, byStatus: { 200: 1 } },
          'gpt-5-mini': { total: 2, byStatus: { 200: 1, 400: 1 } },
        },
      });
      expect(sandbox.stats().requests.chat.total).toBe(3);
      const requests = await admin.chatRequests();
      expect(
        requests.map(({ model, schemaName, temperatureSent, status }) => ({
          model,
          schemaName,
          temperatureSent,
          status,
        })),
      ).toEqual([
        {
          model: 'gpt-4o-mini',
          schemaName: 'answer',
          temperatureSent: true,
          status: 200,
        },
        {
          model: 'gpt-5-mini',
          schemaName: 'answer',
          temperatureSent: false,
          status: 200,
        },
        {
          model: 'gpt-5-mini',
          schemaName: 'answer',
          temperatureSent: true,
          status: 400,
        },
      ]);
      expect(requests[0]).toMatchObject({
        responseFormat: 'json_schema',
        strict: true,
        temperature: 0.2,
        maxCompletionTokens: 500,
        messages: 2,
        schema: z.toJSONSchema(People),
      });
      sandbox.reset();
      expect(sandbox.chatRequests()).toEqual([]);
    });
  });
});

describe('sandbox verification tasks', () => {
  let sandbox: Sandbox;
  let token: string;
  const api = () => `${sandbox.url}/api/ai-tasks`;

  beforeAll(async () => {
    sandbox = await startSandbox();
    ({ access_token: token } = await fetchToken(
      sandbox.tokenUrl,
      sandbox.clientId,
      sandbox.clientSecret,
    ));
  });
  afterAll(() => sandbox.close());
  beforeEach(() => sandbox.reset());

  const create = (type: string, content: unknown) =>
    call<TaskDocument>(api(), {
      method: 'POST',
      token,
      body: {
        type,
        content,
        callbackRoute: `verification_update_${type}`,
        callbackParams: { targetId: '6650f1c2a1b2c3d4e5f60719', field: 'x' },
      },
    });

  it('accepts the four types with the contract’s content', async () => {
    for (const type of [
      'identifying_data',
      'defining_topics',
      'defining_impact_area',
    ])
      expect((await create(type, { text: 'Lula falou.' })).status).toBe(201);
    expect(
      (
        await create('defining_severity', {
          text: 'Lula falou.',
          model: 'gpt-4o-mini',
          impactArea: { name: 'Política', language: 'pt', wikidataId: 'Q7163' },
          topics: [{ name: 'Eleição', wikidataId: null }],
          personalities: [{ name: 'Lula', wikidataId: 'Q37181' }],
        })
      ).status,
    ).toBe(201);
  });

  it.each([
    ['identifying_data', { model: 'gpt-4o-mini' }],
    ['defining_topics', { text: '' }],
    ['defining_impact_area', 'a bare string'],
    ['identifying_data', { text: 'x', model: 4 }],
    ['defining_severity', { text: 'x', personalities: [] }],
    ['defining_severity', { text: 'x', topics: [{}], personalities: [] }],
    [
      'defining_severity',
      { text: 'x', topics: [], personalities: [], impactArea: 'Política' },
    ],
  ])('refuses a %s task with content %j', async (type, content) => {
    const answer = await create(type, content);
    expect(answer.status).toBe(400);
  });

  it('seeds a mix of the five types, with the severity’s findings', () => {
    const tasks = sandbox.seed(10, {
      types: [
        'text_embedding',
        'identifying_data',
        'defining_topics',
        'defining_impact_area',
        'defining_severity',
      ],
      chatModel: 'gpt-4o-mini',
      legacy: 1,
    });
    expect(tasks.map((task) => task.type)).toEqual([
      'text_embedding',
      'identifying_data',
      'defining_topics',
      'defining_impact_area',
      'defining_severity',
      'text-embedding',
      'identifying_data',
      'defining_topics',
      'defining_impact_area',
      'defining_severity',
    ]);
    const severity = tasks[4];
    expect(severity).toMatchObject({
      callbackRoute: 'verification_update_defining_severity',
      callbackParams: { field: 'severity' },
      content: {
        text: expect.stringContaining('checagem nº'),
        model: 'gpt-4o-mini',
        impactArea: {
          name: expect.any(String),
          language: 'pt',
          wikidataId: expect.stringMatching(/^Q\d+$/),
        },
        topics: expect.arrayContaining([
          {
            name: expect.any(String),
            language: 'pt',
            wikidataId: expect.stringMatching(/^Q\d+$/),
          },
        ]),
        personalities: expect.arrayContaining([
          {
            name: expect.any(String),
            wikidataId: expect.stringMatching(/^Q\d+$/),
          },
        ]),
      },
    });
    expect(tasks[1].content).toEqual({
      text: expect.any(String),
      model: 'gpt-4o-mini',
    });
    // Without types, seeding is as before: text embeddings only.
    expect(new Set(sandbox.seed(5).map((task) => task.type))).toEqual(
      new Set(['text_embedding']),
    );
  });

  it('creates one realistic verification task on demand', () => {
    const task = sandbox.createTask({
      type: 'defining_topics',
      model: 'o4-mini',
    });
    expect(task).toMatchObject({
      type: 'defining_topics',
      callbackRoute: 'verification_update_defining_topics',
      content: { text: expect.any(String), model: 'o4-mini' },
    });
  });
});
