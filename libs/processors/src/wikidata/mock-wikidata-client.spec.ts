import { Module } from '@nestjs/common';
import type { TestingModule } from '@nestjs/testing';
import { VALID_ENVIRONMENT } from '@app/config/testing';
import { ReadinessRegistry } from '@app/observability';
import {
  CapturingLogger,
  startLibraryModule,
} from '@app/observability/testing';
import {
  MockWikidataClient,
  looksLikePersonName,
  mockItemId,
} from './mock-wikidata-client.js';
import { WikidataClient } from './wikidata-client.js';
import { WikidataModule } from './wikidata.module.js';

describe('MockWikidataClient', () => {
  let app: TestingModule;
  let logs: CapturingLogger;
  let client: WikidataClient;

  beforeEach(async () => {
    logs = new CapturingLogger();
    // No usable OpenAI key: mock mode, and no WIKIDATA_USER_AGENT needed.
    app = await startLibraryModule({
      env: { ...VALID_ENVIRONMENT, LOG_LEVEL: 'silent' },
      imports: [WikidataModule],
      logger: logs,
    });
    client = app.get(WikidataClient);
  });

  afterEach(() => app.close());

  it('is what the module provides in mock mode: said at start-up, always ready', async () => {
    expect(client).toBeInstanceOf(MockWikidataClient);
    expect(client.description).toMatch(
      /^mock wikidata \(no request leaves the process\): /,
    );
    expect(logs.containing(client.description)).toHaveLength(1);
    const check = new Map(app.get(ReadinessRegistry).entries()).get('wikidata');
    await expect(Promise.resolve().then(check)).resolves.toBeUndefined();
    expect(() => client.assertReady()).not.toThrow();
  });

  it('answers one candidate for any term, the same on every run', async () => {
    const [candidate] = await client.search(
      '  Luiz Inácio  Lula da Silva ',
      'pt',
      5,
    );
    expect(candidate).toEqual({
      id: mockItemId('Luiz Inácio Lula da Silva'),
      label: 'Luiz Inácio Lula da Silva',
      description: 'mock item',
    });
    expect(candidate!.id).toMatch(/^Q9\d{7}$/);
    // A fixed value: the same term names the same item on every run and version.
    expect(mockItemId('economia')).toBe('Q90917341');
    expect(await client.search('Lula', 'en', 1)).toEqual(
      await client.search('Lula', 'pt', 3),
    );
    expect((await client.search('economia', 'pt', 5))[0]!.id).not.toBe(
      candidate!.id,
    );
    await expect(client.search(' ', 'pt', 5)).resolves.toEqual([]);
  });

  it('answers items: humans for the names it handed out, the id as label for others', async () => {
    const [person] = await client.search('Luiz Inácio Lula da Silva', 'pt', 5);
    const [topic] = await client.search('economia', 'pt', 5);
    const items = await client.items(
      [person!.id, topic!.id, 'Q42', 'P31', person!.id],
      'pt',
    );
    expect([...items.keys()]).toEqual([person!.id, topic!.id, 'Q42']);
    expect(items.get(person!.id)).toEqual({
      id: person!.id,
      url: `https://www.wikidata.org/wiki/${person!.id}`,
      label: 'Luiz Inácio Lula da Silva',
      description: 'mock item',
      aliases: [],
      instanceOf: ['Q5'],
    });
    expect(items.get(topic!.id)).toMatchObject({
      label: 'economia',
      instanceOf: [],
    });
    expect(items.get('Q42')).toMatchObject({ label: 'Q42', instanceOf: [] });
  });

  it('refuses malformed arguments as the real client does', async () => {
    await expect(client.search('Lula', 'p|t', 5)).rejects.toThrow(RangeError);
    await expect(client.search('Lula', 'pt', 0)).rejects.toThrow(RangeError);
    await expect(client.items(['Q1'], 'not a language')).rejects.toThrow(
      RangeError,
    );
  });

  it.each([
    ['Luiz Inácio Lula da Silva', true],
    ['Douglas Adams', true],
    ['Ludwig van Beethoven', true],
    ['Lula', false],
    ['economia', false],
    ['Segurança pública', false],
    ['da Silva', false],
  ])('reads %s as a person name: %s', (label, expected) => {
    expect(looksLikePersonName(label)).toBe(expected);
  });
});

describe('WikidataModule', () => {
  it('is built once, however many modules import it', async () => {
    @Module({ imports: [WikidataModule] })
    class FirstUser {}
    @Module({ imports: [WikidataModule] })
    class SecondUser {}
    const app = await startLibraryModule({
      env: { ...VALID_ENVIRONMENT, LOG_LEVEL: 'silent' },
      imports: [FirstUser, SecondUser],
    });
    try {
      expect(app.get(WikidataClient, { strict: false })).toBeInstanceOf(
        MockWikidataClient,
      );
      expect(app.select(FirstUser).get(WikidataClient)).toBe(
        app.select(SecondUser).get(WikidataClient),
      );
    } finally {
      await app.close();
    }
  });
});
