import { zodResponseFormat } from 'openai/helpers/zod';
import type { z } from 'zod';

/** A JSON schema as sent in `response_format.json_schema.schema`. */
export type JsonSchemaObject = Record<string, unknown>;

const isObject = (value: unknown): value is JsonSchemaObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const SUBSCHEMA_LISTS = ['anyOf', 'items'] as const;
const SUBSCHEMA_MAPS = ['properties', '$defs', 'definitions'] as const;

/** The most levels checked: OpenAI allows 10 of nesting; anything deeper is refused before it is sent. */
const MAX_DEPTH = 32;

/**
 * Throws unless every object of `schema` is closed
 * (`additionalProperties: false`) and requires every property: what strict
 * mode refuses otherwise, checked here so that a schema that breaks it
 * fails in a unit test rather than as a 400 for every task.
 */
function assertStrict(schema: unknown, path: string, depth: number): void {
  if (!isObject(schema)) return;
  if (depth > MAX_DEPTH) throw new Error(`${path} is nested too deeply`);
  const properties = schema.properties;
  const isObjectSchema =
    schema.type === 'object' ||
    (Array.isArray(schema.type) && schema.type.includes('object')) ||
    isObject(properties);
  if (isObjectSchema) {
    if (schema.additionalProperties !== false) {
      throw new Error(`${path} does not set additionalProperties: false`);
    }
    const required = new Set(
      Array.isArray(schema.required) ? (schema.required as unknown[]) : [],
    );
    const missing = Object.keys(isObject(properties) ? properties : {}).find(
      (key) => !required.has(key),
    );
    if (missing !== undefined) {
      throw new Error(`${path} does not require property "${missing}"`);
    }
  }
  for (const keyword of SUBSCHEMA_LISTS) {
    const children = schema[keyword];
    if (Array.isArray(children)) {
      children.forEach((child, index) =>
        assertStrict(child, `${path}/${keyword}/${index}`, depth + 1),
      );
    } else {
      assertStrict(children, `${path}/${keyword}`, depth + 1);
    }
  }
  for (const keyword of SUBSCHEMA_MAPS) {
    const children = schema[keyword];
    if (!isObject(children)) continue;
    for (const [key, child] of Object.entries(children)) {
      assertStrict(child, `${path}/${keyword}/${key}`, depth + 1);
    }
  }
}

/**
 * The JSON schema of `schema` as OpenAI's strict Structured Outputs accept
 * it: a root object, every object with `additionalProperties: false` and
 * every property in `required` (an optional field is written
 * `.nullable()`, or `.optional().nullable()`), unions as `anyOf`, no
 * `$schema`.
 *
 * The conversion is the openai SDK's own (`zodResponseFormat`: zod's
 * `z.toJSONSchema` for draft 7, then the SDK's strict normalisation), which
 * knows the API's subset of JSON Schema better than a copy here would; the
 * rules above are checked again on its result.
 *
 * @throws Error naming the first part of the schema strict mode cannot
 * express (a bare `.optional()`, a loose object, a record, a transform, a
 * root that is not an object).
 */
export function strictJsonSchema(schema: z.ZodType): JsonSchemaObject {
  const converted: unknown = zodResponseFormat(schema, 'schema').json_schema
    .schema;
  if (!isObject(converted) || converted.type !== 'object') {
    throw new Error('the root of a strict schema must be an object');
  }
  const strict = { ...converted };
  // Draft 7's marker: a keyword the API does not need.
  delete strict.$schema;
  assertStrict(strict, '#', 0);
  return strict;
}
