import { z } from 'zod';
import { Conversation } from './conversation.js';
import { schemaAnswer, type JsonSchema } from './schema-answer.js';

const TEXT =
  'POLÍTICA — Luiz Inácio Lula da Silva disse em Brasília que Jair Bolsonaro mentiu sobre a Vacina; temas: Eleição, Desinformação.';

const conversation = (text = TEXT) =>
  new Conversation([
    { role: 'system', content: 'Extract the people. Answer in JSON.' },
    { role: 'user', content: text },
  ]);

/** The answer to `schema`, checked against it by zod's own reading of the JSON Schema. */
function answer(schema: JsonSchema, text?: string): unknown {
  const value = schemaAnswer(schema, conversation(text));
  const validator = z.fromJSONSchema(schema as never);
  const checked = validator.safeParse(value);
  if (!checked.success)
    throw new Error(
      `${JSON.stringify(value)} does not validate: ${checked.error.message}`,
    );
  return value;
}

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

const Personalities = z.object({
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
const Topics = z.object({
  topics: z
    .array(z.object({ name: z.string(), wikidataId: z.string().nullable() }))
    .min(1)
    .max(5),
});
const ImpactArea = z.object({ name: z.string(), language: z.string() });
const Severity = z.object({ severity: z.enum(SEVERITIES) });

describe('schemaAnswer', () => {
  it.each([
    ['personalities', Personalities],
    ['topics', Topics],
    ['an impact area', ImpactArea],
    ['a severity', Severity],
  ])('answers %s that validate against the schema zod wrote', (_, schema) => {
    const json = z.toJSONSchema(schema) as JsonSchema;
    const value = answer(json);
    expect(schema.parse(value)).toEqual(value);
  });

  it('names successive entities with successive phrases, one phrase per entity', () => {
    const value = answer(
      z.toJSONSchema(Personalities) as JsonSchema,
    ) as z.infer<typeof Personalities>;
    expect(value.personalities.map((p) => p.name)).toEqual([
      'POLÍTICA',
      'Luiz Inácio Lula da Silva',
      'Brasília',
    ]);
    for (const person of value.personalities) {
      expect(person.mentioned_as).toBe(person.name);
      expect(person.confidence).toBe(0.9);
    }
    expect(value.personalities[1].context).toContain('Lula da Silva');
  });

  it('gives one object its first phrase, and the language of the text', () => {
    expect(answer(z.toJSONSchema(ImpactArea) as JsonSchema)).toEqual({
      name: 'POLÍTICA',
      language: 'pt',
    });
  });

  it('is deterministic, and picks enums by the text', () => {
    const json = z.toJSONSchema(Severity) as JsonSchema;
    expect(answer(json)).toEqual(answer(json));
    const picked = new Set(
      Array.from(
        { length: 30 },
        (_, i) =>
          (
            answer(json, `Texto número ${i} sobre Lula.`) as {
              severity: string;
            }
          ).severity,
      ),
    );
    expect(picked.size).toBeGreaterThan(3);
  });

  it('honours nullable types, anyOf, const, integers and bounds', () => {
    const schema: JsonSchema = {
      type: 'object',
      properties: {
        id: { type: ['string', 'null'] },
        either: { anyOf: [{ type: 'null' }, { type: 'integer', minimum: 3 }] },
        fixed: { const: 'always' },
        score: { type: 'number', exclusiveMinimum: 1, maximum: 2 },
        small: { type: 'number', minimum: -5, maximum: 0.5 },
        count: { type: 'integer', minimum: 10, multipleOf: 4 },
        flag: { type: 'boolean' },
        nothing: { type: 'null' },
        short: { type: 'string', maxLength: 5 },
        long: { type: 'string', minLength: 400 },
        when: { type: 'string', format: 'date-time' },
      },
      required: ['id', 'either', 'fixed', 'score', 'small', 'count', 'flag'],
      additionalProperties: false,
    };
    expect(answer(schema)).toMatchObject({
      id: expect.any(String),
      either: 3,
      fixed: 'always',
      small: 0.5,
      count: 12,
      flag: false,
      nothing: null,
    });
  });

  it('keeps arrays within minItems and maxItems, and strings of arrays distinct', () => {
    for (const [minItems, maxItems] of [
      [0, 0],
      [0, 1],
      [2, 2],
      [5, 8],
    ])
      expect(
        answer({
          type: 'object',
          properties: {
            list: {
              type: 'array',
              items: { type: 'string' },
              minItems,
              maxItems,
              uniqueItems: true,
            },
          },
          required: ['list'],
          additionalProperties: false,
        }),
      ).toBeDefined();
  });

  it('follows $defs and definitions, and stops recursion', () => {
    const Node: z.ZodType<{ label: string; children: unknown[] }> = z.object({
      label: z.string(),
      get children() {
        return z.array(Node).max(2);
      },
    });
    expect(
      answer(z.toJSONSchema(z.object({ root: Node })) as JsonSchema),
    ).toBeDefined();
    const chain = (defs: '$defs' | 'definitions'): JsonSchema => ({
      type: 'object',
      properties: { a: { $ref: `#/${defs}/A` } },
      required: ['a'],
      additionalProperties: false,
      [defs]: {
        A: {
          type: 'object',
          properties: {
            next: { anyOf: [{ $ref: `#/${defs}/A` }, { type: 'null' }] },
          },
          required: ['next'],
          additionalProperties: false,
        },
      },
    });
    const viaDefs = answer(chain('$defs'));
    // zod reads only $defs; the older keyword gives the same answer.
    expect(schemaAnswer(chain('definitions'), conversation())).toEqual(viaDefs);
    expect(JSON.stringify(viaDefs)).toMatch(/"next":null/);
  });

  it('answers for a text with no capitalised phrase, and for an empty schema', () => {
    expect(
      answer(z.toJSONSchema(Topics) as JsonSchema, 'só minúsculas aqui e ali'),
    ).toEqual({
      topics: [
        { name: 'só minúsculas aqui', wikidataId: 'só minúsculas aqui e ali' },
        { name: 'e ali', wikidataId: 'só minúsculas aqui e ali' },
      ],
    });
    expect(typeof answer({})).toBe('string');
  });
});
