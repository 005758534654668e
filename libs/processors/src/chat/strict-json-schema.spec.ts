import { z } from 'zod';
import { strictJsonSchema } from './strict-json-schema.js';

describe('strictJsonSchema', () => {
  it('closes every object, requires every property and drops $schema', () => {
    const schema = z.object({
      people: z
        .array(
          z.object({
            name: z.string(),
            confidence: z.number().min(0).max(1),
            wikidataId: z.string().nullable(),
          }),
        )
        .max(20),
      language: z.literal('pt'),
    });
    expect(strictJsonSchema(schema)).toEqual({
      type: 'object',
      properties: {
        people: {
          type: 'array',
          maxItems: 20,
          items: {
            type: 'object',
            properties: {
              name: { type: 'string' },
              confidence: { type: 'number', minimum: 0, maximum: 1 },
              wikidataId: { type: ['string', 'null'] },
            },
            required: ['name', 'confidence', 'wikidataId'],
            additionalProperties: false,
          },
        },
        language: { type: 'string', const: 'pt' },
      },
      required: ['people', 'language'],
      additionalProperties: false,
    });
  });

  it('requires an optional field that is also nullable, which strict mode can express', () => {
    const strict = strictJsonSchema(
      z.object({ note: z.string().optional().nullable() }),
    );
    expect(strict).toMatchObject({
      required: ['note'],
      properties: { note: { type: ['string', 'null'] } },
    });
  });

  it('writes a discriminated union as anyOf of closed objects', () => {
    const strict = strictJsonSchema(
      z.object({
        match: z.discriminatedUnion('found', [
          z.object({ found: z.literal(true), id: z.string() }),
          z.object({ found: z.literal(false) }),
        ]),
      }),
    );
    const { anyOf } = (strict.properties as Record<string, { anyOf: unknown }>)
      .match;
    expect(anyOf).toEqual([
      expect.objectContaining({
        required: ['found', 'id'],
        additionalProperties: false,
      }),
      expect.objectContaining({
        required: ['found'],
        additionalProperties: false,
      }),
    ]);
  });

  it.each([
    [
      'a bare optional field',
      z.object({ note: z.string().optional() }),
      /properties\/note.*\.optional\(\)/,
    ],
    [
      'a loose object',
      z.looseObject({ name: z.string() }),
      /additionalProperties: false/,
    ],
    [
      'a record',
      z.object({ counts: z.record(z.string(), z.number()) }),
      /additionalProperties/,
    ],
    ['a root that is not an object', z.array(z.string()), /object/],
    [
      'a transform',
      z.object({ n: z.string().transform(Number) }),
      /Transforms/,
    ],
  ])('refuses %s, naming the problem', (_, schema, problem) => {
    expect(() => strictJsonSchema(schema)).toThrow(problem);
  });

  it('answers a new object each time: a caller may keep it without sharing it', () => {
    const schema = z.object({ a: z.string() });
    const first = strictJsonSchema(schema);
    expect(strictJsonSchema(schema)).not.toBe(first);
    expect(strictJsonSchema(schema)).toEqual(first);
  });
});
