import type { TestingModule } from '@nestjs/testing';
import { register } from 'prom-client';
import { VALID_ENVIRONMENT } from '@app/config/testing';
import { startLibraryModule } from '@app/observability/testing';
import {
  type Sandbox,
  startSandbox,
} from '../../../../test/support/sandbox.js';
import { wikidataOverrides } from '../testing/index.js';
import { WikidataClient, WikidataUnavailableError } from './wikidata-client.js';
import { WikidataModule } from './wikidata.module.js';

const USER_AGENT =
  'fact-checker-tests/1.0 (https://example.org/bot; ops@example.org)';

/** The real client against the sandbox's Wikidata stand-in: the shapes and refusals it serves. */
describe('HttpWikidataClient against the sandbox', () => {
  let sandbox: Sandbox;
  let app: TestingModule | undefined;

  async function start(env: Record<string, string> = {}) {
    register.resetMetrics();
    app = await startLibraryModule({
      env: {
        ...VALID_ENVIRONMENT,
        LOG_LEVEL: 'silent',
        OPENAI_API_KEY: 'sk-test-key-0123456789',
        WIKIDATA_API_URL: sandbox.wikidataUrl,
        WIKIDATA_USER_AGENT: USER_AGENT,
        MAX_RETRIES: '2',
        ...env,
      },
      imports: [WikidataModule],
      overrides: wikidataOverrides(),
    });
    return app.get(WikidataClient);
  }

  beforeAll(async () => {
    sandbox = await startSandbox();
  });
  afterAll(() => sandbox.close());
  beforeEach(() => sandbox.reset());
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  it('finds people by name or alias and reads their items in Portuguese and English', async () => {
    const client = await start();
    const [lula] = await client.search('Lula', 'pt', 3);
    expect(lula).toMatchObject({
      id: 'Q37181',
      label: 'Luiz Inácio Lula da Silva',
    });
    const pt = await client.items(['Q37181', 'Q999999999'], 'pt');
    expect([...pt.keys()]).toEqual(['Q37181']);
    expect(pt.get('Q37181')).toMatchObject({
      label: 'Luiz Inácio Lula da Silva',
      description: 'presidente do Brasil (2003–2010 e desde 2023)',
      aliases: ['Lula', 'Lula da Silva', 'Luiz Inácio da Silva'],
      instanceOf: ['Q5'],
    });
    expect((await client.items(['Q37181'], 'en')).get('Q37181')).toMatchObject({
      description: 'President of Brazil',
      aliases: ['Lula'],
    });
    await expect(client.search('zzzz no such thing', 'pt', 3)).resolves.toEqual(
      [],
    );
  });

  it('is unavailable while lagged past maxlag, then served', async () => {
    const client = await start();
    sandbox.faults.wikidataLag({ seconds: 30, count: 1 });
    // The stand-in asks for 5 s or more: longer than the tests' longest pause.
    await expect(client.search('Lula', 'pt', 3)).rejects.toThrow(/lag 30 s/);
    await expect(client.search('Lula', 'pt', 3)).resolves.toContainEqual(
      expect.objectContaining({ id: 'Q37181' }),
    );
    expect(sandbox.stats().wikidata.lagged).toBe(1);
  });

  it('retries through an outage of the edge', async () => {
    const client = await start();
    sandbox.faults.error({
      target: 'wikidata',
      status: 503,
      count: 2,
      retryAfterMs: 10,
    });
    await expect(client.items(['Q37181'], 'pt')).resolves.toHaveProperty(
      'size',
      1,
    );
  });

  it('names WIKIDATA_USER_AGENT when the policy refuses ours', async () => {
    // A contact, so the configuration accepts it; a tool's name, so Wikimedia does not.
    const client = await start({
      WIKIDATA_USER_AGENT: 'curl/8.5 (ops@example.org)',
    });
    const refused = client.search('Lula', 'pt', 3);
    await expect(refused).rejects.toThrow(WikidataUnavailableError);
    await expect(refused).rejects.toThrow(/WIKIDATA_USER_AGENT/);
    expect(sandbox.stats().wikidata.userAgentRefusals).toBe(1);
    expect(() => client.assertReady()).toThrow(/WIKIDATA_USER_AGENT/);
  });
});
