import { request as httpRequest } from 'node:http';
import OpenAI from 'openai';
import {
  simplifyEntity,
  WBK,
  type Item,
  type SearchResult,
} from 'wikibase-sdk';
import { z } from 'zod';
import {
  SandboxAdminClient,
  startSandbox,
  startSandboxProcess,
  type Sandbox,
  type TaskDocument,
} from './support/sandbox.js';

/** A User-Agent that follows Wikimedia's policy: a name and a contact. */
const USER_AGENT =
  'ai-task-processor-tests/1.0 (https://example.org/tests; tests@example.org)';

interface Answer<T = unknown> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

async function get<T = unknown>(
  url: string,
  userAgent: string | null = USER_AGENT,
): Promise<Answer<T>> {
  const response = await fetch(url, {
    headers: userAgent === null ? {} : { 'user-agent': userAgent },
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON
  }
  return {
    status: response.status,
    headers: response.headers,
    body: body as T,
    text,
  };
}

/** node:http sends no User-Agent unless told to, unlike fetch. */
function getWithoutUserAgent(
  url: string,
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    httpRequest(url, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, text }));
    })
      .on('error', reject)
      .end();
  });
}

interface SearchAnswer {
  searchinfo: { search: string };
  search: SearchResult[];
  'search-continue'?: number;
  success: number;
}

interface EntitiesAnswer {
  entities: Record<string, Item | { id: string; missing: '' }>;
  success: number;
}

interface ErrorAnswer {
  error: { code: string; info: string; [field: string]: unknown };
  servedby: string;
}

describe('sandbox Wikidata stand-in (GET /w/api.php)', () => {
  let sandbox: Sandbox;
  let admin: SandboxAdminClient;
  let wbk: ReturnType<typeof WBK>;
  const api = (query: Record<string, string>) =>
    `${sandbox.wikidataUrl}?${new URLSearchParams({ format: 'json', ...query })}`;

  beforeAll(async () => {
    sandbox = await startSandbox();
    admin = new SandboxAdminClient(sandbox.url);
    wbk = WBK({ instance: sandbox.url });
  });
  afterAll(() => sandbox.close());
  beforeEach(() => sandbox.reset());

  describe('wbsearchentities', () => {
    it('finds labels and aliases by prefix, case- and accent-insensitively, in the real shape', async () => {
      const url = wbk.searchEntities({
        search: 'lula',
        language: 'pt',
        limit: 7,
      });
      expect(url.startsWith(`${sandbox.url}/w/api.php?`)).toBe(true);
      const { status, body } = await get<SearchAnswer>(url);
      expect(status).toBe(200);
      expect(body.searchinfo).toEqual({ search: 'lula' });
      expect(body.success).toBe(1);
      expect(body.search.map((result) => result.id)).toEqual([
        'Q37181',
        'Q1064404',
      ]);
      expect(body.search[0]).toEqual({
        id: 'Q37181',
        title: 'Q37181',
        pageid: expect.any(Number),
        display: {
          label: { value: 'Luiz Inácio Lula da Silva', language: 'pt' },
          description: { value: expect.any(String), language: 'pt' },
        },
        repository: 'wikidata',
        url: '//www.wikidata.org/wiki/Q37181',
        concepturi: 'http://www.wikidata.org/entity/Q37181',
        label: 'Luiz Inácio Lula da Silva',
        description: expect.any(String),
        match: { type: 'alias', language: 'pt', text: 'Lula' },
        aliases: ['Lula'],
      });
      expect(body.search[1].match).toEqual({
        type: 'label',
        language: 'pt',
        text: 'Lula Molusco',
      });
      const accents = await get<SearchAnswer>(
        api({ action: 'wbsearchentities', search: 'SAUDE', language: 'pt' }),
      );
      expect(accents.body.search.map((result) => result.label)).toEqual([
        'Saúde',
        'Saúde pública',
      ]);
    });

    it('pages with limit and continue, and answers English labels for uselang=en', async () => {
      const first = await get<SearchAnswer>(
        api({
          action: 'wbsearchentities',
          search: 'obama',
          language: 'pt',
          uselang: 'en',
          type: 'item',
          limit: '2',
        }),
      );
      expect(first.body.search.map((result) => result.id)).toEqual([
        'Q41773',
        'Q18355807',
      ]);
      expect(first.body.search[0].description).toBe(
        'city in Fukui Prefecture, Japan',
      );
      expect(first.body['search-continue']).toBe(2);
      const rest = await get<SearchAnswer>(
        api({
          action: 'wbsearchentities',
          search: 'obama',
          language: 'pt',
          limit: '2',
          continue: '2',
        }),
      );
      expect(rest.body.search.map((result) => result.id)).toEqual(['Q76']);
      expect(rest.body['search-continue']).toBeUndefined();
      const none = await get<SearchAnswer>(
        api({ action: 'wbsearchentities', search: 'Zzyzx', language: 'pt' }),
      );
      expect(none.body.search).toEqual([]);
    });
  });

  describe('wbgetentities', () => {
    it('answers items with labels, descriptions, aliases and P31 claims, and missing ids as missing', async () => {
      const url = wbk.getEntities({
        ids: ['Q37181', 'Q1064404', 'Q999999999'],
        languages: ['pt', 'en'],
        props: ['labels', 'descriptions', 'aliases', 'claims', 'sitelinks'],
      });
      const { status, body } = await get<EntitiesAnswer>(url);
      expect(status).toBe(200);
      expect(body.success).toBe(1);
      expect(Object.keys(body.entities)).toEqual([
        'Q37181',
        'Q1064404',
        'Q999999999',
      ]);
      expect(body.entities.Q999999999).toEqual({
        id: 'Q999999999',
        missing: '',
      });
      const lula = body.entities.Q37181 as Item;
      expect(lula).toMatchObject({
        type: 'item',
        id: 'Q37181',
        labels: { pt: { language: 'pt', value: 'Luiz Inácio Lula da Silva' } },
        descriptions: { en: { language: 'en', value: 'President of Brazil' } },
        aliases: {
          pt: expect.arrayContaining([{ language: 'pt', value: 'Lula' }]),
        },
        sitelinks: {
          ptwiki: {
            site: 'ptwiki',
            title: 'Luiz Inácio Lula da Silva',
            badges: [],
          },
        },
      });
      expect(lula.claims?.P31).toEqual([
        {
          mainsnak: {
            snaktype: 'value',
            property: 'P31',
            hash: expect.stringMatching(/^[0-9a-f]{40}$/),
            datavalue: {
              value: { 'entity-type': 'item', 'numeric-id': 5, id: 'Q5' },
              type: 'wikibase-entityid',
            },
            datatype: 'wikibase-item',
          },
          type: 'statement',
          id: expect.stringMatching(/^Q37181\$[0-9A-F-]{36}$/),
          rank: 'normal',
        },
      ]);
      // wikibase-sdk reads it as it reads Wikidata's.
      const simple = wbk.simplify.entity(lula);
      expect(simple).toMatchObject({ claims: { P31: ['Q5'] } });
      const squidward = wbk.simplify.entity(body.entities.Q1064404 as Item);
      expect(squidward.claims?.P31).not.toContain('Q5');
    });

    it('keeps only the languages and props asked for', async () => {
      const { body } = await get<EntitiesAnswer>(
        api({
          action: 'wbgetentities',
          ids: 'q76',
          languages: 'en',
          props: 'labels',
        }),
      );
      expect(body.entities).toEqual({
        Q76: {
          type: 'item',
          id: 'Q76',
          labels: { en: { language: 'en', value: 'Barack Obama' } },
        },
      });
    });
  });

  describe('errors, as MediaWiki answers them (200 with an error object)', () => {
    it.each([
      [
        { action: 'wbfrobnicate' },
        'badvalue',
        'Unrecognized value for parameter "action": wbfrobnicate.',
      ],
      [{}, 'missingparam', 'The "action" parameter must be set.'],
      [
        { action: 'wbsearchentities', language: 'pt' },
        'missingparam',
        'The "search" parameter must be set.',
      ],
      [
        { action: 'wbsearchentities', search: 'x' },
        'missingparam',
        'The "language" parameter must be set.',
      ],
      [
        {
          action: 'wbsearchentities',
          search: 'x',
          language: 'pt',
          limit: 'many',
        },
        'badinteger',
        'Invalid value "many" for integer parameter "limit".',
      ],
      [
        { action: 'wbgetentities' },
        'param-missing',
        'Either provide the item "ids" or pairs of "sites" and "titles" for corresponding pages',
      ],
      [
        { action: 'wbgetentities', ids: 'foo' },
        'no-such-entity',
        'Could not find an entity with the ID "FOO".',
      ],
      [
        {
          action: 'wbgetentities',
          ids: Array.from({ length: 51 }, (_, i) => `Q${i + 1}`).join('|'),
        },
        'toomanyvalues',
        'Too many values supplied for parameter "ids". The limit is 50.',
      ],
    ])('answers %j with %s', async (query, code, info) => {
      const { status, headers, body } = await get<ErrorAnswer>(api(query));
      expect(status).toBe(200);
      expect(headers.get('mediawiki-api-error')).toBe(code);
      expect(body.error).toMatchObject({ code, info });
      expect(body.servedby).toEqual(expect.any(String));
    });

    it('pretty-prints in HTML without format=json, as jsonfm does', async () => {
      const { headers, text } = await get(
        `${sandbox.wikidataUrl}?action=wbgetentities&ids=Q76`,
      );
      expect(headers.get('content-type')).toContain('text/html');
      expect(text).toContain('Barack Obama');
    });
  });

  describe('maxlag', () => {
    it('refuses requests that accept less lag than the fault reports, with Retry-After and X-Database-Lag', async () => {
      await admin.faults.wikidataLag({ seconds: 5, count: 1 });
      expect((await admin.faults.active()).wikidataLag).toEqual({
        seconds: 5,
        remaining: 1,
      });
      const search = {
        action: 'wbsearchentities',
        search: 'Pelé',
        language: 'pt',
      };
      // Without maxlag, or with a higher one, the request is served.
      expect((await get<SearchAnswer>(api(search))).body.search).toHaveLength(
        1,
      );
      expect(
        (await get<SearchAnswer>(api({ ...search, maxlag: '10' }))).body.search,
      ).toHaveLength(1);
      const lagged = await get<ErrorAnswer>(api({ ...search, maxlag: '1' }));
      expect(lagged.status).toBe(200);
      expect(lagged.headers.get('retry-after')).toBe('5');
      expect(lagged.headers.get('x-database-lag')).toBe('5');
      expect(lagged.headers.get('mediawiki-api-error')).toBe('maxlag');
      expect(lagged.body.error).toEqual({
        code: 'maxlag',
        info: 'Waiting for a database server: 5 seconds lagged.',
        host: expect.any(String),
        lag: 5,
        type: 'db',
        '*': expect.any(String),
      });
      // count: 1 is spent.
      expect(
        (await get<SearchAnswer>(api({ ...search, maxlag: '1' }))).body.search,
      ).toHaveLength(1);
      expect(sandbox.stats().wikidata.lagged).toBe(1);
    });
  });

  describe('the User-Agent policy', () => {
    it('refuses no User-Agent, a library’s default and one without contact, with 403', async () => {
      const search = api({
        action: 'wbsearchentities',
        search: 'Lula',
        language: 'pt',
      });
      const none = await getWithoutUserAgent(search);
      expect(none.status).toBe(403);
      expect(none.text).toMatch(
        /^Please set a user-agent and respect our robot policy/,
      );
      for (const agent of [
        'node',
        'axios/1.7.9',
        'python-requests/2.32',
        'my-bot/1.0',
      ])
        expect((await get(search, agent)).status).toBe(403);
      // fetch's own default
      expect((await get(search, null)).status).toBe(403);
      expect((await get(search)).status).toBe(200);
      expect(sandbox.stats().wikidata).toMatchObject({
        userAgentRefusals: 6,
        byAction: {
          wbsearchentities: { total: 7, byStatus: { 200: 1, 403: 6 } },
        },
      });
    });
  });

  describe('outages', () => {
    it('answers an injected error with Wikimedia’s HTML error page, then recovers', async () => {
      await admin.faults.error({
        target: 'wikidata',
        status: 503,
        count: 2,
        retryAfterMs: 2000,
      });
      const url = api({ action: 'wbgetentities', ids: 'Q76' });
      for (let i = 0; i < 2; i += 1) {
        const outage = await get(url);
        expect(outage.status).toBe(503);
        expect(outage.headers.get('content-type')).toContain('text/html');
        expect(outage.headers.get('retry-after')).toBe('2');
        expect(outage.text).toContain('Wikimedia Error');
      }
      expect((await get(url)).status).toBe(200);
      expect(sandbox.stats().wikidata.byAction).toEqual({
        wbgetentities: { total: 3, byStatus: { 200: 1, 503: 2 } },
      });
      expect(sandbox.stats().requests.wikidata.total).toBe(3);
    });

    it('adds latency and answers garbage on the Wikidata route only', async () => {
      await admin.faults.garbage({
        target: 'wikidata',
        kind: 'truncated-json',
      });
      const url = api({ action: 'wbgetentities', ids: 'Q76' });
      const garbage = await get(url);
      expect(garbage.status).toBe(200);
      expect(() => JSON.parse(garbage.text)).toThrow();
      await admin.faults.latency({ target: 'wikidata', ms: 150 });
      const started = performance.now();
      expect((await get(url)).status).toBe(200);
      expect(performance.now() - started).toBeGreaterThanOrEqual(145);
    });
  });
});

describe('seeded verification tasks, through the chat and Wikidata stand-ins', () => {
  let sandbox: Sandbox;

  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(() => sandbox.close());

  it('lets identifying_data find the people of each seeded text, and only humans', async () => {
    const openai = new OpenAI({
      apiKey: 'sk-x',
      baseURL: sandbox.embeddingsUrl,
      maxRetries: 0,
    });
    const People = z.object({
      personalities: z.array(
        z.object({ name: z.string(), mentioned_as: z.string() }),
      ),
    });
    const tasks = sandbox.seed(8, { types: ['identifying_data'] });
    for (const task of tasks) {
      const text = (task.content as { text: string }).text;
      const answer = await openai.chat.completions.create({
        model: 'gpt-4o-mini',
        messages: [{ role: 'user', content: text }],
        response_format: {
          type: 'json_schema',
          json_schema: {
            name: 'people',
            strict: true,
            schema: z.toJSONSchema(People) as Record<string, unknown>,
          },
        },
      });
      const { personalities } = People.parse(
        JSON.parse(answer.choices[0].message.content ?? ''),
      );
      const humans: string[] = [];
      let namesakes = 0;
      for (const person of personalities) {
        const search = await get<SearchAnswer>(
          `${sandbox.wikidataUrl}?${new URLSearchParams({ action: 'wbsearchentities', search: person.name, language: 'pt', format: 'json' })}`,
        );
        const ids = search.body.search.map((result) => result.id);
        if (!ids.length) continue;
        const entities = await get<EntitiesAnswer>(
          `${sandbox.wikidataUrl}?${new URLSearchParams({ action: 'wbgetentities', ids: ids.join('|'), props: 'claims', format: 'json' })}`,
        );
        for (const id of ids) {
          const { claims } = simplifyEntity(entities.body.entities[id] as Item);
          const human = claims?.P31?.includes('Q5');
          if (human) humans.push(id);
          else namesakes += 1;
        }
      }
      expect(humans.length, text).toBeGreaterThan(0);
      expect(namesakes, text).toBeGreaterThan(0);
    }
  });
});

describe('the built sandbox process seeds a mix (npm run build first)', () => {
  it('seeds every type with SANDBOX_SEED_TYPES=all and serves /w/api.php', async () => {
    const process = await startSandboxProcess({
      SANDBOX_SEED: '10',
      SANDBOX_SEED_TYPES: 'all',
    });
    try {
      const tasks: TaskDocument[] = await process.admin.tasks();
      expect(new Set(tasks.map((task) => task.type))).toEqual(
        new Set([
          'text_embedding',
          'identifying_data',
          'defining_topics',
          'defining_impact_area',
          'defining_severity',
        ]),
      );
      const { body } = await get<SearchAnswer>(
        `${process.wikidataUrl}?action=wbsearchentities&search=Dilma&language=pt&format=json`,
      );
      expect(body.search[0].id).toBe('Q40722');
      expect(
        (await process.admin.seed(2, { types: ['defining_severity'] })).created,
      ).toBe(2);
    } finally {
      await process.stop();
    }
  });
});
