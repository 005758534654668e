import { z } from 'zod';
import { waitUntil } from './support/eventually.js';
import { parseExposition, total, valuesOf } from './support/exposition.js';
import {
  type Sandbox,
  type TaskView,
  startReferenceSandbox,
} from './support/sandbox.js';
import { startServiceAgainst } from './support/service-against-sandbox.js';
import type { RunningProcess } from './support/service-process.js';

// The results of docs/contract.md §1a, as the server stores them.
const ENTITY = z.object({
  name: z.string().min(1),
  wikidataId: z
    .string()
    .regex(/^Q\d+$/)
    .nullable(),
  language: z.literal('pt'),
});
const RESULT_SCHEMAS = {
  identifying_data: z.object({
    personalities: z.array(
      z.object({
        name: z.string().min(1),
        mentioned_as: z.string(),
        confidence: z.number().min(0).max(1),
        context: z.string(),
        wikidata: z.object({
          id: z.string().regex(/^Q\d+$/),
          url: z.string().startsWith('https://www.wikidata.org/wiki/Q'),
          label: z.string(),
          description: z.string(),
          aliases: z.array(z.string()),
        }),
      }),
    ),
    model: z.string(),
    usage: z.object({
      prompt_tokens: z.number().int(),
      completion_tokens: z.number().int(),
      total_tokens: z.number().int(),
    }),
  }),
  defining_topics: z.array(ENTITY),
  defining_impact_area: ENTITY,
  defining_severity: z.object({
    severity: z.enum([
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
    ]),
  }),
};
type VerificationType = keyof typeof RESULT_SCHEMAS;
const TYPES = Object.keys(RESULT_SCHEMAS) as VerificationType[];

/** People of the sandbox's Wikidata table (humans, P31 = Q5), in a text. */
const TEXT =
  'Jair Bolsonaro e Dilma Rousseff discutiram em Brasília se a Vacina contra a Covid-19 é perigosa.';

const settled = (sandbox: Sandbox, count: number) => () => {
  const { tasks } = sandbox.stats();
  return tasks.succeeded + tasks.failed === count && tasks.in_progress === 0;
};

const byType = (sandbox: Sandbox, type: string): TaskView[] =>
  sandbox.tasks().filter((task) => task.type === type);

describe('the verification task types (built service against the sandbox, through the openai SDK)', () => {
  let sandbox: Sandbox;
  let service: RunningProcess | undefined;
  let baseUrl = '';

  beforeEach(async () => {
    sandbox = await startReferenceSandbox();
  });
  afterEach(async () => {
    if (service) expect((await service.stop()).code).toBe(0);
    service = undefined;
    await sandbox.close();
  });

  const start = async (env: Record<string, string> = {}) => {
    ({ service, baseUrl } = await startServiceAgainst(sandbox, {
      openaiCompatible: true,
      env: { POLLING_INTERVAL_SECONDS: '1', ...env },
    }));
  };

  it("runs the server's workflow: three results feed a defining_severity task, which succeeds", async () => {
    const first = TYPES.filter((type) => type !== 'defining_severity').map(
      (type) => sandbox.createTask({ type, text: TEXT }),
    );
    await start();
    await waitUntil(settled(sandbox, 3), 'the first three tasks finished');
    const results = Object.fromEntries(
      first.map(({ _id, type }) => [type, sandbox.task(String(_id))?.result]),
    );
    for (const type of TYPES.slice(0, 3)) {
      expect(sandbox.task(String(first[TYPES.indexOf(type)]._id))?.state).toBe(
        'succeeded',
      );
      RESULT_SCHEMAS[type].parse(results[type]);
    }
    const people = RESULT_SCHEMAS.identifying_data.parse(
      results.identifying_data,
    ).personalities;
    // Only the humans of the text, each matched to its Wikidata item.
    expect(people.map(({ wikidata }) => wikidata.id).sort()).toEqual([
      'Q10304982',
      'Q40722',
    ]);
    const topics = RESULT_SCHEMAS.defining_topics.parse(
      results.defining_topics,
    );
    const area = RESULT_SCHEMAS.defining_impact_area.parse(
      results.defining_impact_area,
    );

    const severity = sandbox.createTask({
      type: 'defining_severity',
      content: {
        text: TEXT,
        impactArea: area,
        topics,
        personalities: people.map(({ name, wikidata }) => ({
          name,
          wikidataId: wikidata.id,
        })),
      },
    });
    await waitUntil(settled(sandbox, 4), 'the severity task finished');
    const done = sandbox.task(String(severity._id));
    expect(done?.state).toBe('succeeded');
    RESULT_SCHEMAS.defining_severity.parse(done?.result);
    const asked = sandbox
      .chatRequests()
      .find((request) => request.schemaName === 'defining_severity');
    expect(asked).toMatchObject({
      responseFormat: 'json_schema',
      strict: true,
      model: 'gpt-4o-mini',
      temperatureSent: true,
    });
    expect(sandbox.stats().tasks.failed).toBe(0);
    // Each result's log line names the prompt version it came from.
    expect(
      service
        ?.logRecords()
        .filter((record) => record.msg === 'succeeded')
        .map(({ prompt }) => prompt)
        .sort(),
    ).toEqual([
      'defining_impact_area/1',
      'defining_severity/1',
      'defining_topics/1',
      'identifying_data/1',
    ]);

    const page = parseExposition(
      await (await fetch(`${baseUrl}/metrics`)).text(),
    );
    expect(
      total(page, 'llm_requests_total', {
        model: 'gpt-4o-mini',
        status: 'success',
      }),
    ).toBe(sandbox.stats().chat.completions);
    expect(valuesOf(page, 'llm_tokens_used_total', 'type')).toEqual(
      new Set(['prompt', 'completion', 'reasoning']),
    );
    expect(total(page, 'wikidata_requests_total', { status: 'success' })).toBe(
      sandbox.stats().requests.wikidata.total,
    );
    expect(total(page, 'wikidata_cache_misses_total')).toBeGreaterThan(0);
    expect(total(page, 'wikidata_cache_hits_total')).toBeGreaterThan(0);
  });

  it.each([
    ['[[refuse]]', 'model_refused'],
    ['[[off_schema]]', 'invalid_model_output'],
    ['[[truncate]]', 'output_truncated'],
  ])(
    'fails a task whose text asks the model to %s with %s',
    async (marker, code) => {
      const bad = sandbox.createTask({
        type: 'defining_topics',
        text: `${TEXT} ${marker}`,
      });
      const good = sandbox.createTask({ type: 'defining_topics', text: TEXT });
      await start();
      await waitUntil(settled(sandbox, 2), 'both tasks finished');
      expect(sandbox.task(String(bad._id))).toMatchObject({
        state: 'failed',
        error: { code, message: expect.any(String) },
      });
      expect(sandbox.task(String(good._id))?.state).toBe('succeeded');
      if (code === 'invalid_model_output') {
        // One more try, then the failure.
        const asked = sandbox
          .chatRequests()
          .filter(({ fault }) => fault === 'off_schema');
        expect(asked).toHaveLength(2);
      }
    },
  );

  it('fails an over-long text with text_too_long, without asking the model', async () => {
    sandbox.insertTasks([
      {
        type: 'defining_impact_area',
        content: { text: `${TEXT} `.repeat(2_000) },
      },
    ]);
    await start();
    await waitUntil(settled(sandbox, 1), 'the task finished');
    expect(sandbox.tasks('failed')).toEqual([
      expect.objectContaining({
        error: expect.objectContaining({ code: 'text_too_long' }),
      }),
    ]);
    expect(sandbox.stats().chat.completions).toBe(0);
  });

  it.each([['chat'], ['wikidata']] as const)(
    'releases the tasks while %s is down, and finishes them once it is back: none failed',
    async (target) => {
      sandbox.seed(8, { types: TYPES });
      sandbox.faults.error({ target, status: 503, durationMs: 3_000 });
      await start({ MAX_RETRIES: '0' });
      await waitUntil(settled(sandbox, 8), 'every task finished', {
        timeoutMs: 60_000,
      });
      const stats = sandbox.stats();
      expect(stats.tasks).toMatchObject({ succeeded: 8, failed: 0 });
      expect(stats.releases).toBeGreaterThan(0);
      expect(stats.requests[target].byStatus['503']).toBeGreaterThan(0);
      for (const type of TYPES)
        for (const task of byType(sandbox, type))
          RESULT_SCHEMAS[type].parse(task.result);
    },
  );
});

describe('the verification task types in mock mode', () => {
  it('runs all five types without any call beyond the tasks API', async () => {
    const sandbox = await startReferenceSandbox();
    let service: RunningProcess | undefined;
    try {
      sandbox.seed(20, {
        types: ['text_embedding', ...TYPES],
      });
      ({ service } = await startServiceAgainst(sandbox, {
        env: {
          POLLING_INTERVAL_SECONDS: '1',
          // Pointed at the sandbox, where any call that leaked would be counted.
          OPENAI_BASE_URL: sandbox.embeddingsUrl,
          WIKIDATA_API_URL: sandbox.wikidataUrl,
        },
      }));
      await waitUntil(settled(sandbox, 20), 'every task finished');
      const stats = sandbox.stats();
      expect(stats.tasks).toMatchObject({ succeeded: 20, failed: 0 });
      expect(stats.chat.completions).toBe(0);
      expect(stats.embeddings.requests).toBe(0);
      expect(stats.requests.chat.total).toBe(0);
      expect(stats.requests.wikidata.total).toBe(0);
      for (const type of TYPES)
        for (const task of byType(sandbox, type))
          RESULT_SCHEMAS[type].parse(task.result);
    } finally {
      if (service) expect((await service.stop()).code).toBe(0);
      await sandbox.close();
    }
  });
});
