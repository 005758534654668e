import type { TestingModule } from '@nestjs/testing';
import { register } from 'prom-client';
import { VALID_ENVIRONMENT } from '@app/config/testing';
import { METRIC, ReadinessRegistry } from '@app/observability';
import {
  CapturingLogger,
  startLibraryModule,
} from '@app/observability/testing';
import { metricValue } from '../../../../test/support/metrics.js';
import {
  type RecordedRequest,
  ScriptedServer,
  type ScriptedReply,
} from '../../../../test/support/scripted-server.js';
import {
  ManualClock,
  type TestEntity,
  wikidataEntitiesAnswer,
  wikidataOverrides,
  wikidataSearchAnswer,
} from '../testing/index.js';
import { HttpWikidataClient } from './http-wikidata-client.js';
import { WikidataClient, WikidataUnavailableError } from './wikidata-client.js';
import type { WikidataLimits } from './wikidata-limits.js';
import { WikidataModule } from './wikidata.module.js';

const USER_AGENT =
  'fact-checker-tests/1.0 (https://example.org/bot; ops@example.org)';
const ROUTE = 'GET /w/api.php';
const DAY_MS = 24 * 60 * 60 * 1000;

const LULA: TestEntity = {
  id: 'Q37181',
  labels: { pt: 'Lula', en: 'Luiz Inácio Lula da Silva' },
  descriptions: { pt: 'presidente do Brasil', en: 'president of Brazil' },
  aliases: { pt: ['Lula da Silva'] },
  instanceOf: ['Q5'],
};
const ADAMS: TestEntity = {
  id: 'Q42',
  labels: { en: 'Douglas Adams' },
  descriptions: { en: 'English writer and humorist' },
  aliases: { en: ['Douglas Noël Adams', 'DNA'] },
  instanceOf: ['Q5'],
};
const BRAZIL: TestEntity = {
  id: 'Q155',
  labels: { pt: 'Brasil', en: 'Brazil' },
  descriptions: { pt: 'país da América do Sul' },
  instanceOf: ['Q6256', 'Q3624078'],
};
const TABLE = new Map(
  [LULA, ADAMS, BRAZIL].map((entity) => [entity.id, entity]),
);

/** A search that finds Lula for any term. */
const searchReply = (request: RecordedRequest): ScriptedReply => ({
  body: wikidataSearchAnswer(request.query.get('search') ?? '', [
    { id: LULA.id, label: 'Lula', description: 'presidente do Brasil' },
  ]),
});

/** `wbgetentities` over TABLE: other ids are missing. */
const entitiesReply = (request: RecordedRequest): ScriptedReply => {
  const ids = (request.query.get('ids') ?? '').split('|');
  return {
    body: wikidataEntitiesAnswer(
      ids.flatMap((id) => TABLE.get(id) ?? []),
      ids.filter((id) => !TABLE.has(id)),
    ),
  };
};

/** Wikidata as the tests need it: search and entities, each replaceable. */
const wikidataReply = (request: RecordedRequest): ScriptedReply =>
  request.query.get('action') === 'wbsearchentities'
    ? searchReply(request)
    : entitiesReply(request);

const lagged = (retryAfter: string): ScriptedReply => ({
  headers: { 'retry-after': retryAfter, 'mediawiki-api-error': 'maxlag' },
  body: {
    error: {
      code: 'maxlag',
      info: 'Waiting for a database server: 7 seconds lagged.',
      host: 'db1234',
      lag: 7,
      type: 'db',
    },
    servedby: 'mw-api-ext',
  },
});

const requests = (status: string) =>
  metricValue(METRIC.wikidataRequests, { status });

describe('HttpWikidataClient against a Wikidata stand-in', () => {
  let server: ScriptedServer;
  let app: TestingModule | undefined;
  let logs: CapturingLogger;

  beforeEach(async () => {
    server = await ScriptedServer.start();
    server.on(ROUTE, wikidataReply);
  });

  afterEach(async () => {
    await app?.close();
    app = undefined;
    await server.close();
  });

  async function start(
    options: {
      env?: Record<string, string>;
      limits?: Partial<WikidataLimits>;
    } = {},
  ): Promise<WikidataClient> {
    register.resetMetrics();
    logs = new CapturingLogger();
    app = await startLibraryModule({
      env: {
        ...VALID_ENVIRONMENT,
        LOG_LEVEL: 'silent',
        OPENAI_API_KEY: 'sk-test-key-0123456789',
        WIKIDATA_API_URL: `${server.url}/w/api.php`,
        WIKIDATA_USER_AGENT: USER_AGENT,
        MAX_RETRIES: '2',
        ...options.env,
      },
      imports: [WikidataModule],
      overrides: wikidataOverrides({ limits: options.limits }),
      logger: logs,
    });
    return app.get(WikidataClient);
  }

  /** The `wikidata` readiness check: 'ready', its error message, or 'none' when not registered. */
  async function readiness(): Promise<string> {
    const check = new Map(app!.get(ReadinessRegistry).entries()).get(
      'wikidata',
    );
    if (!check) return 'none';
    try {
      await check();
      return 'ready';
    } catch (error) {
      return (error as Error).message;
    }
  }

  const actions = (action: string) =>
    server.requests.filter((request) => request.query.get('action') === action);

  describe('requests', () => {
    it('is the real client, says where it asks and as whom, and is ready', async () => {
      const client = await start();
      expect(client).toBeInstanceOf(HttpWikidataClient);
      expect(client.description).toBe(
        `wikidata at ${server.url}/w/api.php as "${USER_AGENT}"`,
      );
      expect(logs.containing(client.description)).toHaveLength(1);
      expect(await readiness()).toBe('ready');
    });

    it('searches items with our User-Agent and maxlag, as Wikimedia asks of bots', async () => {
      const client = await start();
      await expect(
        client.search('  Lula \n da  Silva ', 'PT', 3),
      ).resolves.toEqual([
        { id: 'Q37181', label: 'Lula', description: 'presidente do Brasil' },
      ]);
      const [request] = server.requests;
      expect(request!.headers['user-agent']).toBe(USER_AGENT);
      expect(request!.headers.accept).toBe('application/json');
      expect(Object.fromEntries(request!.query)).toEqual({
        action: 'wbsearchentities',
        search: 'Lula da Silva',
        language: 'pt',
        uselang: 'pt',
        limit: '3',
        continue: '0',
        type: 'item',
        format: 'json',
        maxlag: '5',
      });
      expect(await requests('success')).toBe(1);
    });

    it('gets items in the asked language, falling back to English, leaving out what Wikidata does not have', async () => {
      const client = await start();
      const items = await client.items(
        ['Q37181', 'Q42', 'Q999', 'Q42', 'P31', 'not-an-id'],
        'pt',
      );
      expect(items).toEqual(
        new Map([
          [
            'Q37181',
            {
              id: 'Q37181',
              url: 'https://www.wikidata.org/wiki/Q37181',
              label: 'Lula',
              description: 'presidente do Brasil',
              aliases: ['Lula da Silva'],
              instanceOf: ['Q5'],
            },
          ],
          [
            'Q42',
            {
              id: 'Q42',
              url: 'https://www.wikidata.org/wiki/Q42',
              label: 'Douglas Adams',
              description: 'English writer and humorist',
              aliases: ['Douglas Noël Adams', 'DNA'],
              instanceOf: ['Q5'],
            },
          ],
        ]),
      );
      const [request] = server.requests;
      expect(request!.headers['user-agent']).toBe(USER_AGENT);
      expect(Object.fromEntries(request!.query)).toEqual({
        action: 'wbgetentities',
        ids: 'Q37181|Q42|Q999',
        languages: 'pt|mul|en',
        props: 'labels|descriptions|aliases|claims',
        format: 'json',
        maxlag: '5',
      });
    });

    it('asks nothing for blank or overlong terms, or for no item ids; refuses malformed arguments', async () => {
      const client = await start();
      await expect(client.search(' \t ', 'pt', 5)).resolves.toEqual([]);
      await expect(client.search('x'.repeat(251), 'pt', 5)).resolves.toEqual(
        [],
      );
      // 250 characters, some outside the BMP (two UTF-16 units each): searched.
      await client.search('𝐀'.repeat(125) + 'a'.repeat(125), 'pt', 5);
      expect(server.requests).toHaveLength(1);
      server.requests.length = 0;
      await expect(client.items(['P31', 'q42', ''], 'pt')).resolves.toEqual(
        new Map(),
      );
      await expect(client.search('Lula', 'pt|en', 5)).rejects.toThrow(
        RangeError,
      );
      await expect(client.search('Lula', 'pt', 0)).rejects.toThrow(RangeError);
      await expect(client.search('Lula', 'pt', 51)).rejects.toThrow(RangeError);
      await expect(client.items(['Q1'], '')).rejects.toThrow(RangeError);
      expect(server.requests).toHaveLength(0);
    });

    it('asks at most 50 ids per request', async () => {
      const client = await start();
      const ids = Array.from({ length: 120 }, (_, i) => `Q${1_001 + i}`);
      const items = await client.items([...ids, 'Q42'], 'en');
      expect([...items.keys()]).toEqual(['Q42']);
      expect(
        actions('wbgetentities').map(
          (request) => request.query.get('ids')!.split('|').length,
        ),
      ).toEqual([50, 50, 21]);
    });
  });

  describe('the cache', () => {
    it('answers a repeated lookup, "no match" included, without asking again until its lifetime ends', async () => {
      const clock = new ManualClock();
      const client = await start({ limits: { clock } });
      server.on(ROUTE, (request) =>
        request.query.get('search') === 'nobody'
          ? { body: wikidataSearchAnswer('nobody', []) }
          : wikidataReply(request),
      );
      await client.search('Lula', 'pt', 5);
      await client.search(' Lula ', 'PT', 5);
      await expect(client.search('nobody', 'pt', 5)).resolves.toEqual([]);
      await expect(client.search('nobody', 'pt', 5)).resolves.toEqual([]);
      expect(actions('wbsearchentities')).toHaveLength(2);
      // Another limit or language is another lookup.
      await client.search('Lula', 'en', 5);
      await client.search('Lula', 'pt', 1);
      expect(actions('wbsearchentities')).toHaveLength(4);
      expect(await metricValue(METRIC.wikidataCacheHits)).toBe(2);
      expect(await metricValue(METRIC.wikidataCacheMisses)).toBe(4);

      clock.advance(DAY_MS - 1);
      await client.search('Lula', 'pt', 5);
      expect(actions('wbsearchentities')).toHaveLength(4);
      clock.advance(2);
      await client.search('Lula', 'pt', 5);
      expect(actions('wbsearchentities')).toHaveLength(5);
    });

    it('asks only for the items it does not keep, missing ones included', async () => {
      const client = await start();
      await client.items(['Q37181', 'Q999'], 'pt');
      const items = await client.items(['Q999', 'Q42', 'Q37181'], 'pt');
      expect([...items.keys()]).toEqual(['Q42', 'Q37181']);
      expect(
        actions('wbgetentities').map((request) => request.query.get('ids')),
      ).toEqual(['Q37181|Q999', 'Q42']);
      // Per language: the same id in English is another lookup.
      await client.items(['Q42'], 'en');
      expect(actions('wbgetentities')).toHaveLength(3);
      expect(await metricValue(METRIC.wikidataCacheHits)).toBe(2);
      expect(await metricValue(METRIC.wikidataCacheMisses)).toBe(4);
    });

    it('hands out copies: editing an answer does not edit the cache', async () => {
      const client = await start();
      const first = await client.items(['Q42'], 'en');
      first.get('Q42')!.aliases.push('edited');
      (await client.search('Lula', 'pt', 5))[0]!.label = 'edited';
      expect((await client.items(['Q42'], 'en')).get('Q42')!.aliases).toEqual([
        'Douglas Noël Adams',
        'DNA',
      ]);
      expect((await client.search('Lula', 'pt', 5))[0]!.label).toBe('Lula');
    });

    it('shares identical lookups in flight: one request', async () => {
      const client = await start();
      server.on(ROUTE, async (request) => ({
        ...wikidataReply(request),
        delayMs: 20,
      }));
      const searches = await Promise.all(
        Array.from({ length: 5 }, () => client.search('Lula', 'pt', 5)),
      );
      expect(new Set(searches.map((found) => found[0]!.id))).toEqual(
        new Set(['Q37181']),
      );
      const [a, b] = await Promise.all([
        client.items(['Q42', 'Q37181'], 'pt'),
        client.items(['Q37181', 'Q155'], 'pt'),
      ]);
      expect([...a.keys()]).toEqual(['Q42', 'Q37181']);
      expect([...b.keys()]).toEqual(['Q37181', 'Q155']);
      expect(actions('wbsearchentities')).toHaveLength(1);
      expect(
        actions('wbgetentities').map((request) => request.query.get('ids')),
      ).toEqual(['Q42|Q37181', 'Q155']);
    });

    it('keeps no failure: the next lookup asks again', async () => {
      const client = await start({ env: { MAX_RETRIES: '0' } });
      server.once(ROUTE, { status: 503 });
      await expect(client.search('Lula', 'pt', 5)).rejects.toThrow(
        WikidataUnavailableError,
      );
      await expect(client.search('Lula', 'pt', 5)).resolves.toHaveLength(1);
      expect(server.requests).toHaveLength(2);
    });
  });

  describe('load on Wikidata', () => {
    it('keeps at most maxConcurrentRequests requests open at once, however many lookups', async () => {
      const client = await start({ limits: { maxConcurrentRequests: 2 } });
      let open = 0;
      let mostOpen = 0;
      server.on(ROUTE, async (request) => {
        open++;
        mostOpen = Math.max(mostOpen, open);
        await new Promise((resolve) => setTimeout(resolve, 10));
        open--;
        return wikidataReply(request);
      });
      const found = await Promise.all(
        Array.from({ length: 10 }, (_, i) =>
          client.search(`term ${i}`, 'pt', 5),
        ),
      );
      expect(found.flat()).toHaveLength(10);
      expect(server.requests).toHaveLength(10);
      expect(mostOpen).toBe(2);
    });

    it('fails a lookup as an outage when too many wait for a slot', async () => {
      const client = await start({
        limits: { maxConcurrentRequests: 1, maxQueuedRequests: 1 },
      });
      server.on(ROUTE, async (request) => ({
        ...wikidataReply(request),
        delayMs: 20,
      }));
      const outcomes = await Promise.allSettled(
        ['a', 'b', 'c'].map((term) => client.search(term, 'pt', 5)),
      );
      expect(outcomes.map((outcome) => outcome.status)).toEqual([
        'fulfilled',
        'fulfilled',
        'rejected',
      ]);
      const { reason } = outcomes[2] as PromiseRejectedResult;
      expect(reason).toBeInstanceOf(WikidataUnavailableError);
      expect((reason as Error).message).toMatch(
        /more than 1 Wikidata requests are waiting/,
      );
      expect(server.requests).toHaveLength(2);
    });
  });

  describe('maxlag and outages', () => {
    it('waits out a lagged answer as Retry-After asks, then succeeds', async () => {
      const client = await start();
      server.once(ROUTE, lagged('0.01'));
      await expect(client.search('Lula', 'pt', 5)).resolves.toHaveLength(1);
      expect(server.requests).toHaveLength(2);
      expect(await requests('maxlag')).toBe(1);
      expect(await requests('success')).toBe(1);
      expect(logs.containing('lag 7 s, more than maxlag=5')).toHaveLength(1);
    });

    it('is unavailable while Wikidata stays lagged', async () => {
      const client = await start();
      server.on(ROUTE, lagged('0.01'));
      const failure = client.items(['Q42'], 'en');
      await expect(failure).rejects.toThrow(WikidataUnavailableError);
      await expect(failure).rejects.toThrow(/lag 7 s, more than maxlag=5/);
      expect(server.requests).toHaveLength(3);
      expect(await requests('maxlag')).toBe(3);
    });

    it('gives up at once when Retry-After asks for longer than its longest pause', async () => {
      const client = await start();
      server.on(ROUTE, lagged('5'));
      await expect(client.search('Lula', 'pt', 5)).rejects.toThrow(
        WikidataUnavailableError,
      );
      expect(server.requests).toHaveLength(1);
    });

    it('retries a 503 after the Retry-After it names, then succeeds', async () => {
      const client = await start();
      server.once(ROUTE, {
        status: 503,
        headers: { 'retry-after': '0.05', 'content-type': 'text/html' },
        body: '<!DOCTYPE html><title>Wikimedia Error</title>',
      });
      await expect(client.items(['Q155'], 'pt')).resolves.toHaveProperty(
        'size',
        1,
      );
      const [first, second] = server.requests;
      expect(second!.at - first!.at).toBeGreaterThanOrEqual(45);
      expect(await requests('503')).toBe(1);
      expect(await requests('success')).toBe(1);
    });

    it('retries 429s and dropped connections', async () => {
      const client = await start();
      server.once(
        ROUTE,
        { status: 429, headers: { 'retry-after': '0' } },
        { drop: true },
      );
      await expect(client.search('Lula', 'pt', 5)).resolves.toHaveLength(1);
      expect(await requests('429')).toBe(1);
      expect(await requests('connection_error')).toBe(1);
      expect(await requests('success')).toBe(1);
    });

    it('gives up on a request Wikidata does not answer in time', async () => {
      const client = await start({
        env: { REQUEST_TIMEOUT: '1', MAX_RETRIES: '0' },
      });
      server.on(ROUTE, { hang: true });
      await expect(client.search('Lula', 'pt', 5)).rejects.toThrow(
        /Wikidata did not answer wbsearchentities within 1 s/,
      );
      expect(await requests('timeout')).toBe(1);
    });

    it('is unavailable through an outage, then its breaker opens: readiness fails and calls fail fast', async () => {
      const client = await start({ env: { CIRCUIT_BREAKER_THRESHOLD: '3' } });
      server.on(ROUTE, { status: 502 });
      const failure = client.search('Lula', 'pt', 5);
      await expect(failure).rejects.toThrow(WikidataUnavailableError);
      await expect(failure).rejects.toThrow(
        'Wikidata answered 502 to wbsearchentities',
      );
      expect(server.requests).toHaveLength(3);
      expect(await requests('502')).toBe(3);
      expect(await readiness()).toMatch(
        /wikidata circuit breaker is open.*502/,
      );
      await expect(client.items(['Q42'], 'en')).rejects.toThrow(
        /wikidata circuit breaker is open after repeated failures \(last failure: Wikidata answered 502/,
      );
      expect(server.requests).toHaveLength(3);
    });
  });

  describe('refusals', () => {
    it('names WIKIDATA_USER_AGENT when Wikidata refuses our User-Agent, and is not ready until it accepts it', async () => {
      const client = await start();
      server.once(ROUTE, {
        status: 403,
        headers: { 'content-type': 'text/plain' },
        body: 'Please set a user-agent and respect our robot policy https://w.wiki/4wJS.\n',
      });
      const refused = client.search('Lula', 'pt', 5);
      await expect(refused).rejects.toThrow(WikidataUnavailableError);
      await expect(refused).rejects.toThrow(/WIKIDATA_USER_AGENT/);
      expect(server.requests).toHaveLength(1);
      expect(await requests('403')).toBe(1);
      expect(await readiness()).toMatch(
        /refuses our User-Agent; set WIKIDATA_USER_AGENT/,
      );
      expect(logs.containing('tasks are released, not failed')).toHaveLength(1);

      await expect(client.search('Lula', 'pt', 5)).resolves.toHaveLength(1);
      expect(await readiness()).toBe('ready');
      expect(logs.containing('accepts our User-Agent again')).toHaveLength(1);
    });

    it('names the code of an API error, and does not retry it', async () => {
      const client = await start();
      server.on(ROUTE, {
        headers: { 'mediawiki-api-error': 'badvalue' },
        body: {
          error: {
            code: 'badvalue',
            info: 'Unrecognized value for parameter "language": xx.',
          },
          servedby: 'mw-api-ext',
        },
      });
      await expect(client.search('Lula', 'xx', 5)).rejects.toThrow(
        /Wikidata refused wbsearchentities with API error "badvalue": "Unrecognized value/,
      );
      expect(server.requests).toHaveLength(1);
      expect(await requests('api_error')).toBe(1);
      expect(await readiness()).toBe('ready');
    });

    it('does not follow a redirect', async () => {
      const client = await start();
      server.on(ROUTE, {
        status: 301,
        headers: { location: 'https://elsewhere.example/w/api.php' },
      });
      await expect(client.search('Lula', 'pt', 5)).rejects.toThrow(
        /answered 301 to wbsearchentities, a redirect to "https:\/\/elsewhere.example\/w\/api.php", which is not followed/,
      );
      expect(server.requests).toHaveLength(1);
      expect(await requests('301')).toBe(1);
    });
  });

  describe('hostile answers', () => {
    it.each<[string, ScriptedReply, RegExp]>([
      [
        'not JSON',
        {
          headers: { 'content-type': 'text/html' },
          body: '<html><pre>{}</pre></html>',
        },
        /the body is not JSON/,
      ],
      [
        'JSON of the wrong shape',
        { body: { search: [{ id: 'Q1', label: { value: 'x' } }] } },
        /search\.0\.label/,
      ],
      ['an error that is not one', { body: { error: 'boom' } }, /an API error/],
      ['no answer at all', { body: 'null' }, /search answer/],
    ])(
      'is unavailable on an answer that is %s, counted as invalid',
      async (_, reply, message) => {
        const client = await start();
        server.on(ROUTE, reply);
        const failure = client.search('Lula', 'pt', 5);
        await expect(failure).rejects.toThrow(WikidataUnavailableError);
        await expect(failure).rejects.toThrow(message);
        expect(server.requests).toHaveLength(1);
        expect(await requests('invalid_answer')).toBe(1);
        expect(await requests('success')).toBe(0);
      },
    );

    it('stops reading a body larger than maxAnswerBytes', async () => {
      const client = await start({ limits: { maxAnswerBytes: 64 * 1024 } });
      const chunk = Buffer.alloc(16 * 1024, 'x');
      server.on(ROUTE, {
        // Far more than the limit, never announced.
        stream: (function* () {
          yield '{"search":["';
          for (let i = 0; i < 1_000; i++) yield chunk;
        })(),
      });
      await expect(client.search('Lula', 'pt', 5)).rejects.toThrow(
        'Wikidata answered wbsearchentities with more than 65536 bytes',
      );
      expect(server.requests[0]!.streamed!.finished).toBe(false);
      expect(await requests('invalid_answer')).toBe(1);
    });

    it('refuses an announced body larger than maxAnswerBytes without reading it', async () => {
      const client = await start({ limits: { maxAnswerBytes: 1024 } });
      server.on(ROUTE, { body: { search: [], padding: 'x'.repeat(2048) } });
      await expect(client.search('Lula', 'pt', 5)).rejects.toThrow(
        /more than 1024 bytes/,
      );
    });

    it('asks for items again in halves when their answer is too large, and is unavailable for one that alone is', async () => {
      const client = await start({ limits: { maxAnswerBytes: 1_500 } });
      const ids = ['Q37181', 'Q42', 'Q155', 'Q999'];
      await expect(client.items(ids, 'pt')).resolves.toHaveProperty('size', 3);
      const asked = actions('wbgetentities').map((request) =>
        request.query.get('ids'),
      );
      expect(asked[0]).toBe(ids.join('|'));
      expect(asked.slice(1)).toEqual(
        expect.arrayContaining(['Q37181|Q42', 'Q155|Q999']),
      );

      TABLE.set('Q7', {
        id: 'Q7',
        labels: { en: 'y'.repeat(900) },
        descriptions: { en: 'z'.repeat(900) },
      });
      try {
        await expect(client.items(['Q7'], 'en')).rejects.toThrow(
          /wbgetentities with more than 1500 bytes/,
        );
      } finally {
        TABLE.delete('Q7');
      }
    });
  });
});
