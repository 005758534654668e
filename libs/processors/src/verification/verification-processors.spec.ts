import { ServiceConfig } from '@app/config';
import { VALID_ENVIRONMENT } from '@app/config/testing';
import {
  ChatProvider,
  ChatProviderError,
  type ChatAnswer,
  type ChatRequest,
} from '../chat/chat-provider.js';
import { DefiningImpactAreaProcessor } from '../defining-impact-area/defining-impact-area.processor.js';
import { DefiningSeverityProcessor } from '../defining-severity/defining-severity.processor.js';
import { DefiningTopicsProcessor } from '../defining-topics/defining-topics.processor.js';
import { IdentifyingDataProcessor } from '../identifying-data/identifying-data.processor.js';
import type { ProcessingResult, TaskProcessorHost } from '../task-processor.js';
import {
  WikidataClient,
  type WikidataCandidate,
  type WikidataItem,
  WikidataUnavailableError,
} from '../wikidata/wikidata-client.js';
import { WikidataEnrichment } from './wikidata-enrichment.js';

/** A chat provider that answers what the test says, checked against the request's schema. */
class ScriptedChat extends ChatProvider {
  readonly description = 'scripted chat';
  readonly requests: ChatRequest<unknown>[] = [];
  answer: (request: ChatRequest<unknown>) => unknown = (request) =>
    request.schema.mockAnswer(request.text);

  async complete<T>(request: ChatRequest<T>): Promise<ChatAnswer<T>> {
    this.requests.push(request);
    const answer = this.answer(request);
    if (answer instanceof Error) throw answer;
    return {
      value: request.schema.schema.parse(answer),
      usage: { promptTokens: 100, completionTokens: 20, reasoningTokens: 0 },
    };
  }

  assertReady(): void {}
}

const item = (
  id: string,
  label: string,
  instanceOf: string[],
  description = '',
): WikidataItem => ({
  id,
  url: `https://www.wikidata.org/wiki/${id}`,
  label,
  description,
  aliases: [],
  instanceOf,
});

/** Wikidata as a small table; `down` makes every call an outage. */
class TableWikidata extends WikidataClient {
  readonly description = 'table';
  down = false;
  readonly searched: string[] = [];

  constructor(private readonly table: readonly WikidataItem[]) {
    super();
  }

  async search(term: string): Promise<WikidataCandidate[]> {
    this.searched.push(term);
    if (this.down) throw new WikidataUnavailableError('wikidata is down');
    const wanted = term.toLowerCase();
    return this.table
      .filter(({ label }) => label.toLowerCase().startsWith(wanted))
      .map(({ id, label }) => ({ id, label }));
  }

  async items(ids: readonly string[]): Promise<Map<string, WikidataItem>> {
    if (this.down) throw new WikidataUnavailableError('wikidata is down');
    return new Map(
      this.table.filter(({ id }) => ids.includes(id)).map((it) => [it.id, it]),
    );
  }

  assertReady(): void {}
}

const LULA = item(
  'Q37181',
  'Luiz Inácio Lula da Silva',
  ['Q5'],
  'presidente do Brasil',
);
const SHIP = item('Q900001', 'Marielle Franco', ['Q11446'], 'navio');
const MARIELLE = item('Q56402683', 'Marielle Franco', ['Q5'], 'vereadora');
const HEALTH = item('Q189603', 'Saúde pública', ['Q11862829'], 'área de saúde');
const TEXT =
  'Luiz Inácio Lula da Silva disse que a vacina contra a gripe é obrigatória.';

function setup() {
  const config = ServiceConfig.fromEnvironment(VALID_ENVIRONMENT);
  const chat = new ScriptedChat();
  const wikidata = new TableWikidata([LULA, SHIP, MARIELLE, HEALTH]);
  const enrichment = new WikidataEnrichment(wikidata);
  const processors = {
    identifying_data: new IdentifyingDataProcessor(config, chat, enrichment),
    defining_topics: new DefiningTopicsProcessor(config, chat, enrichment),
    defining_impact_area: new DefiningImpactAreaProcessor(
      config,
      chat,
      enrichment,
    ),
    defining_severity: new DefiningSeverityProcessor(config, chat, enrichment),
  } satisfies Record<string, TaskProcessorHost>;
  const run = (
    type: keyof typeof processors,
    content: unknown,
  ): Promise<ProcessingResult> =>
    processors[type].process({ id: 'task-1', type, content });
  return { chat, wikidata, run };
}

const SEVERITY_CONTENT = {
  text: TEXT,
  impactArea: { name: 'Saúde pública', wikidataId: 'Q189603', language: 'pt' },
  topics: [{ name: 'Vacina', wikidataId: null, language: 'pt' }],
  personalities: [{ name: 'Luiz Inácio Lula da Silva', wikidataId: 'Q37181' }],
};

describe('the verification processors', () => {
  it('identifying_data keeps only people matched to a Wikidata human, with the usage', async () => {
    const { chat, run } = setup();
    chat.answer = () => ({
      personalities: [
        {
          name: ' Luiz Inácio  Lula da Silva ',
          mentioned_as: 'Lula',
          confidence: 0.95,
          context: 'fala da vacina',
        },
        {
          name: 'Marielle Franco',
          mentioned_as: 'Marielle',
          confidence: 0.5,
          context: 'citada',
        },
        {
          name: 'Fulano Inexistente',
          mentioned_as: 'Fulano',
          confidence: 0.4,
          context: 'citado',
        },
        {
          name: 'luiz inácio lula da silva',
          mentioned_as: 'o presidente',
          confidence: 0.9,
          context: 'de novo',
        },
      ],
    });
    const result = await run('identifying_data', {
      text: TEXT,
      model: 'gpt-4o',
    });
    expect(result).toEqual({
      kind: 'succeeded',
      result: {
        personalities: [
          {
            name: 'Luiz Inácio Lula da Silva',
            mentioned_as: 'Lula',
            confidence: 0.95,
            context: 'fala da vacina',
            wikidata: {
              id: 'Q37181',
              url: 'https://www.wikidata.org/wiki/Q37181',
              label: 'Luiz Inácio Lula da Silva',
              description: 'presidente do Brasil',
              aliases: [],
            },
          },
          // The ship of the same name is passed over for the human.
          expect.objectContaining({
            name: 'Marielle Franco',
            wikidata: expect.objectContaining({ id: 'Q56402683' }),
          }),
        ],
        model: 'gpt-4o',
        usage: { prompt_tokens: 100, completion_tokens: 20, total_tokens: 120 },
      },
      details: { prompt: 'identifying_data/1', model: 'gpt-4o' },
    });
    expect(chat.requests[0]).toMatchObject({
      model: 'gpt-4o',
      messages: [{ role: 'system' }, { role: 'user', content: TEXT }],
    });
  });

  it('defining_topics gives each topic its Wikidata id, or null, in Portuguese', async () => {
    const { chat, run } = setup();
    chat.answer = () => ({
      topics: [{ name: 'Saúde pública' }, { name: 'Vacina' }, { name: ' ' }],
    });
    expect(await run('defining_topics', { text: TEXT })).toEqual({
      kind: 'succeeded',
      result: [
        { name: 'Saúde pública', wikidataId: 'Q189603', language: 'pt' },
        { name: 'Vacina', wikidataId: null, language: 'pt' },
      ],
      details: { prompt: 'defining_topics/1', model: 'gpt-4o-mini' },
    });
  });

  it('defining_impact_area names one area with its Wikidata id', async () => {
    const { chat, run } = setup();
    chat.answer = () => ({ impactArea: { name: 'Saúde pública' } });
    expect(await run('defining_impact_area', { text: TEXT })).toMatchObject({
      kind: 'succeeded',
      result: { name: 'Saúde pública', wikidataId: 'Q189603', language: 'pt' },
    });
  });

  it("defining_severity reasons over the text and Wikidata's words for the given ids", async () => {
    const { chat, run } = setup();
    chat.answer = () => ({ severity: 'high_2' });
    expect(await run('defining_severity', SEVERITY_CONTENT)).toMatchObject({
      kind: 'succeeded',
      result: { severity: 'high_2' },
    });
    const user = chat.requests[0].messages[1].content;
    expect(user).toContain(TEXT);
    expect(user).toContain(
      'Saúde pública (Wikidata Q189603: Saúde pública — área de saúde)',
    );
    expect(user).toContain('- Vacina\n');
    expect(user).toContain(
      '(Wikidata Q37181: Luiz Inácio Lula da Silva — presidente do Brasil)',
    );
  });

  it.each([
    [null, 'content must be an object with a text'],
    [{}, 'content.text is required'],
    [{ text: '  ' }, 'content.text is empty or only whitespace'],
    [{ text: 'x', model: 7 }, 'content.model must be a string'],
  ])(
    'fails the content %j with invalid_content, naming the field',
    async (content, message) => {
      const { chat, run } = setup();
      expect(await run('defining_topics', content)).toEqual({
        kind: 'failed',
        code: 'invalid_content',
        message,
      });
      expect(chat.requests).toHaveLength(0);
    },
  );

  it.each([
    [
      { ...SEVERITY_CONTENT, topics: 'Vacina' },
      'content.topics must be an array',
    ],
    [
      { ...SEVERITY_CONTENT, personalities: [{ wikidataId: 'Q1' }] },
      'content.personalities[0] must have a non-empty name',
    ],
    [
      { ...SEVERITY_CONTENT, impactArea: 'Saúde' },
      'content.impactArea must be an object {name, wikidataId?}',
    ],
    [{ text: TEXT, topics: [] }, 'content.personalities must be an array'],
  ])(
    'fails the severity content %j with invalid_content',
    async (content, message) => {
      const { run } = setup();
      expect(await run('defining_severity', content)).toEqual({
        kind: 'failed',
        code: 'invalid_content',
        message,
      });
    },
  );

  it('fails an over-long text with text_too_long before any call', async () => {
    const { chat, run } = setup();
    const result = await run('defining_impact_area', {
      text: 'a'.repeat(100_001),
    });
    expect(result).toMatchObject({ kind: 'failed', code: 'text_too_long' });
    expect(chat.requests).toHaveLength(0);
  });

  it.each([
    ['model_refused', 'failed'],
    ['invalid_model_output', 'failed'],
    ['output_truncated', 'failed'],
    ['text_too_long', 'failed'],
    ['unknown_model', 'failed'],
    ['key_refused', 'transient'],
    ['unavailable', 'transient'],
  ] as const)('answers a chat %s with %s', async (failure, kind) => {
    const { chat, run } = setup();
    chat.answer = () => new ChatProviderError(failure, `chat said ${failure}`);
    const result = await run('defining_severity', SEVERITY_CONTENT);
    expect(result).toEqual(
      kind === 'failed'
        ? { kind, code: failure, message: `chat said ${failure}` }
        : { kind, reason: `chat said ${failure}` },
    );
  });

  it('releases every type while Wikidata is down: no result without its enrichment', async () => {
    const { wikidata, run } = setup();
    wikidata.down = true;
    for (const [type, content] of [
      ['identifying_data', { text: TEXT }],
      ['defining_topics', { text: TEXT }],
      ['defining_impact_area', { text: TEXT }],
      ['defining_severity', SEVERITY_CONTENT],
    ] as const) {
      expect(await run(type, content)).toEqual({
        kind: 'transient',
        reason: 'wikidata is down',
      });
    }
  });

  it('rethrows what is neither a chat nor a Wikidata failure, for the failure policy', async () => {
    const { chat, run } = setup();
    chat.answer = () => new TypeError('a bug');
    await expect(run('defining_topics', { text: TEXT })).rejects.toThrow(
      'a bug',
    );
  });
});
