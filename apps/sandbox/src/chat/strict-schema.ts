import type { JsonSchema } from './schema-answer.js';

/**
 * The checks OpenAI makes on a `json_schema` response format with `strict:
 * true` before answering, with its wording: a root that is an object, and
 * every object closed (`additionalProperties: false`) with every property
 * required. A service whose schema passes here is not refused for its
 * schema by OpenAI; one that fails gets OpenAI's 400.
 *
 * Returns the problem's sentence, or undefined when the schema is accepted.
 */
export function strictSchemaProblem(
  name: string,
  schema: JsonSchema,
): string | undefined {
  const prefix = `Invalid schema for response_format '${name}': `;
  if (typeof schema !== 'object' || schema.type !== 'object') {
    const type =
      typeof schema === 'object' && schema.type !== undefined
        ? JSON.stringify(schema.type)
        : typeof schema === 'object' && Array.isArray(schema.anyOf)
          ? '"anyOf"'
          : 'None';
    return `${prefix}schema must be a JSON Schema of 'type: "object"', got 'type: ${type}'.`;
  }
  const problem = firstProblem(schema, []);
  return problem && `${prefix}${problem}`;
}

type SchemaObject = { [keyword: string]: unknown };

const isObject = (value: unknown): value is SchemaObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** OpenAI names where a problem is as a Python tuple of the keys leading to it. */
function context(path: readonly string[]): string {
  if (!path.length) return '()';
  const parts = path.map((part) => `'${part}'`);
  return parts.length === 1 ? `(${parts[0]},)` : `(${parts.join(', ')})`;
}

const describesObject = (schema: SchemaObject) =>
  schema.type === 'object' ||
  (Array.isArray(schema.type) && schema.type.includes('object')) ||
  isObject(schema.properties);

function firstProblem(
  schema: unknown,
  path: readonly string[],
): string | undefined {
  if (!isObject(schema)) return undefined;
  if (describesObject(schema)) {
    if (schema.additionalProperties !== false)
      return `In context=${context(path)}, 'additionalProperties' is required to be supplied and to be false.`;
    const properties = isObject(schema.properties) ? schema.properties : {};
    const required = Array.isArray(schema.required) ? schema.required : [];
    const missing = Object.keys(properties).find(
      (key) => !required.includes(key),
    );
    if (missing !== undefined)
      return `In context=${context(path)}, 'required' is required to be supplied and to be an array including every key in properties. Missing '${missing}'.`;
    for (const [key, property] of Object.entries(properties)) {
      const problem = firstProblem(property, [...path, 'properties', key]);
      if (problem) return problem;
    }
  }
  for (const keyword of ['items', 'additionalItems', 'not'] as const) {
    const problem = firstProblem(schema[keyword], [...path, keyword]);
    if (problem) return problem;
  }
  for (const keyword of ['anyOf', 'oneOf', 'allOf', 'prefixItems'] as const) {
    const list = schema[keyword];
    if (!Array.isArray(list)) continue;
    for (const [i, member] of list.entries()) {
      const problem = firstProblem(member, [...path, keyword, String(i)]);
      if (problem) return problem;
    }
  }
  for (const keyword of ['$defs', 'definitions'] as const) {
    const definitions = schema[keyword];
    if (!isObject(definitions)) continue;
    for (const [key, definition] of Object.entries(definitions)) {
      const problem = firstProblem(definition, [...path, keyword, key]);
      if (problem) return problem;
    }
  }
  return undefined;
}
