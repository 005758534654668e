import { z } from 'zod';
import type { JsonSchema } from './schema-answer.js';
import { strictSchemaProblem } from './strict-schema.js';

describe('strictSchemaProblem', () => {
  it('accepts what zod writes for objects whose fields are all required', () => {
    const schema = z.object({
      topics: z.array(
        z.object({ name: z.string(), wikidataId: z.string().nullable() }),
      ),
      severity: z.enum(['low_1', 'critical']),
    });
    expect(
      strictSchemaProblem('topics', z.toJSONSchema(schema) as JsonSchema),
    ).toBeUndefined();
  });

  it('refuses a root that is not an object, as OpenAI words it', () => {
    expect(
      strictSchemaProblem('topics', {
        type: 'array',
        items: { type: 'string' },
      }),
    ).toBe(
      `Invalid schema for response_format 'topics': schema must be a JSON Schema of 'type: "object"', got 'type: "array"'.`,
    );
  });

  it('refuses an open object, naming where it is', () => {
    expect(
      strictSchemaProblem('people', {
        type: 'object',
        properties: {
          people: {
            type: 'array',
            items: {
              type: 'object',
              properties: { name: { type: 'string' } },
              required: ['name'],
            },
          },
        },
        required: ['people'],
        additionalProperties: false,
      }),
    ).toBe(
      "Invalid schema for response_format 'people': In context=('properties', 'people', 'items'), 'additionalProperties' is required to be supplied and to be false.",
    );
  });

  it('refuses an optional property (zod .optional())', () => {
    const schema = z.object({ name: z.string(), note: z.string().optional() });
    expect(strictSchemaProblem('x', z.toJSONSchema(schema) as JsonSchema)).toBe(
      "Invalid schema for response_format 'x': In context=(), 'required' is required to be supplied and to be an array including every key in properties. Missing 'note'.",
    );
  });

  it('looks into $defs and anyOf', () => {
    expect(
      strictSchemaProblem('x', {
        type: 'object',
        properties: { a: { anyOf: [{ $ref: '#/$defs/A' }, { type: 'null' }] } },
        required: ['a'],
        additionalProperties: false,
        $defs: {
          A: { type: 'object', properties: {}, additionalProperties: true },
        },
      }),
    ).toMatch(/context=\('\$defs', 'A'\), 'additionalProperties'/);
  });
});
