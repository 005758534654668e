/**
 * A JSON value that validates against a JSON Schema, built from the schema
 * alone and filled from the conversation: what a model with Structured
 * Outputs answers, deterministic and offline. The rules (docs/sandbox.md,
 * "The chat endpoint"):
 *
 * - objects get every property (only the required ones past the depth
 *   limit), never an extra one;
 * - a string property whose name says it is a name (`name`, `label`,
 *   `mentioned_as`) takes the next candidate phrase of the text; the other
 *   name-like properties of the same object, and of objects nested in it,
 *   take the same phrase (one entity), while each item of an array is a new
 *   entity; the strings of an array of strings are successive phrases too;
 * - `language`/`lang` is the text's language; other strings are an excerpt
 *   of the text (the sentence that mentions the object's phrase);
 * - enums and consts are honoured (an enum picked by a hash of the text);
 *   `["string","null"]` and `anyOf` take the first non-null branch (null
 *   past the depth limit); numbers are 0.9 (integers 1) clipped to their
 *   bounds; booleans are false;
 * - arrays have one item per candidate phrase, 1 to 3, within
 *   `minItems`/`maxItems` (`minItems` past the depth limit);
 * - local `$ref`s (`#`, `#/$defs/…`, `#/definitions/…`) are followed.
 */

export type JsonSchema = boolean | { [keyword: string]: unknown };
type SchemaObject = { [keyword: string]: unknown };

/** What the answer is filled from: a conversation (see Conversation). */
export interface AnswerSource {
  readonly candidates: readonly string[];
  excerpt(phrase?: string): string;
  hash(path: string): number;
  language(): string;
}

/** Past this depth, recursion stops where the schema lets it (empty arrays, nulls, required fields only). */
const DEEP = 6;
/** A schema that recurses with no way out is cut here (the answer is then not valid: no model could answer it). */
const HARD_LIMIT = 32;
const NAME_KEY = /name|label|mentioned_?as/i;
const LANGUAGE_KEY = /^(language|lang|languageCode|language_code)$/;

const isObject = (value: unknown): value is SchemaObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const asInteger = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value)
    ? Math.trunc(value)
    : undefined;

const asNumber = (value: unknown): number | undefined =>
  typeof value === 'number' && Number.isFinite(value) ? value : undefined;

const FORMATS: Record<string, string> = {
  'date-time': '2026-01-01T00:00:00Z',
  date: '2026-01-01',
  time: '00:00:00Z',
  duration: 'PT1M',
  email: 'sandbox@example.org',
  hostname: 'example.org',
  ipv4: '192.0.2.1',
  ipv6: '2001:db8::1',
  uri: 'https://example.org/',
  url: 'https://example.org/',
};

/** Builds the answer to `schema` from `source`. */
export function schemaAnswer(
  schema: JsonSchema,
  source: AnswerSource,
): unknown {
  return new SchemaAnswer(schema, source).value(schema, '$', 0, {});
}

interface Place {
  /** The property this value is, if any. */
  key?: string;
  /** The phrase of the entity this value belongs to. */
  phrase?: string;
  /** An item of an array. */
  item?: boolean;
}

class SchemaAnswer {
  private cursor = 0;

  constructor(
    private readonly root: JsonSchema,
    private readonly source: AnswerSource,
  ) {}

  value(
    schema: JsonSchema,
    path: string,
    depth: number,
    place: Place,
  ): unknown {
    const resolved = this.resolve(schema);
    if (resolved === false || depth > HARD_LIMIT) return null;
    if (resolved === true) return this.string({}, path, place);
    if ('const' in resolved) return resolved.const;
    if (Array.isArray(resolved.enum) && resolved.enum.length)
      return resolved.enum[this.source.hash(path) % resolved.enum.length];
    const branches = resolved.anyOf ?? resolved.oneOf;
    if (Array.isArray(branches) && branches.length)
      return this.value(
        this.branch(branches as JsonSchema[], depth),
        path,
        depth,
        place,
      );
    if (Array.isArray(resolved.allOf))
      return this.value(this.merge(resolved), path, depth, place);
    switch (this.type(resolved, depth)) {
      case 'object':
        return this.object(resolved, path, depth, place);
      case 'array':
        return this.array(resolved, path, depth, place);
      case 'number':
        return this.number(resolved, false);
      case 'integer':
        return this.number(resolved, true);
      case 'boolean':
        return false;
      case 'null':
        return null;
      default:
        return this.string(resolved, path, place);
    }
  }

  /** Follows local references; the keywords beside a `$ref` are kept. */
  private resolve(schema: JsonSchema): JsonSchema {
    let current = schema;
    for (let hops = 0; hops < HARD_LIMIT; hops += 1) {
      if (!isObject(current) || typeof current.$ref !== 'string')
        return current;
      const { $ref, ...beside } = current;
      const target = this.pointer($ref);
      if (!isObject(target))
        return Object.keys(beside).length ? beside : target;
      current = { ...target, ...beside };
    }
    return {};
  }

  private pointer(ref: string): JsonSchema {
    if (!ref.startsWith('#')) return true;
    let node: unknown = this.root;
    for (const part of ref.slice(1).split('/').filter(Boolean)) {
      const key = decodeURIComponent(part)
        .replaceAll('~1', '/')
        .replaceAll('~0', '~');
      node = isObject(node) ? node[key] : undefined;
    }
    return isObject(node) || typeof node === 'boolean' ? node : true;
  }

  private isNull(schema: JsonSchema): boolean {
    const resolved = this.resolve(schema);
    return (
      isObject(resolved) &&
      (resolved.type === 'null' ||
        ('const' in resolved && resolved.const === null))
    );
  }

  private branch(branches: JsonSchema[], depth: number): JsonSchema {
    const nullable = branches.find((branch) => this.isNull(branch));
    if (depth >= DEEP && nullable !== undefined) return nullable;
    return branches.find((branch) => !this.isNull(branch)) ?? branches[0];
  }

  /** `allOf`: the members' keywords together, properties and required lists joined. */
  private merge(schema: SchemaObject): SchemaObject {
    const { allOf, ...rest } = schema;
    const merged: SchemaObject = { ...rest };
    for (const member of allOf as JsonSchema[]) {
      const part = this.resolve(member);
      if (!isObject(part)) continue;
      merged.properties = {
        ...(merged.properties as object),
        ...(part.properties as object),
      };
      merged.required = [
        ...((merged.required as unknown[]) ?? []),
        ...((part.required as unknown[]) ?? []),
      ];
      for (const [keyword, value] of Object.entries(part))
        if (!['properties', 'required'].includes(keyword))
          merged[keyword] ??= value;
    }
    return merged;
  }

  private type(schema: SchemaObject, depth: number): string {
    const { type } = schema;
    if (Array.isArray(type)) {
      if (depth >= DEEP && type.includes('null')) return 'null';
      return String(type.find((t) => t !== 'null') ?? 'null');
    }
    if (typeof type === 'string') return type;
    if ('properties' in schema || 'required' in schema) return 'object';
    if ('items' in schema || 'prefixItems' in schema) return 'array';
    if ('minimum' in schema || 'maximum' in schema) return 'number';
    return 'string';
  }

  private next(): string {
    const { candidates } = this.source;
    if (!candidates.length) return this.source.excerpt();
    const phrase = candidates[this.cursor % candidates.length];
    this.cursor += 1;
    return phrase;
  }

  private object(
    schema: SchemaObject,
    path: string,
    depth: number,
    place: Place,
  ): Record<string, unknown> {
    const properties = isObject(schema.properties) ? schema.properties : {};
    const required = Array.isArray(schema.required)
      ? schema.required.filter((key): key is string => typeof key === 'string')
      : [];
    const keys =
      depth >= DEEP && required.length
        ? Object.keys(properties).filter((key) => required.includes(key))
        : Object.keys(properties);
    // One object is one entity: it takes a phrase if it has a name and none was given.
    const phrase =
      place.phrase ??
      (keys.some((key) => NAME_KEY.test(key)) ? this.next() : undefined);
    const answer: Record<string, unknown> = {};
    for (const key of keys)
      answer[key] = this.value(
        properties[key] as JsonSchema,
        `${path}.${key}`,
        depth + 1,
        { key, phrase },
      );
    // Required but not described: whatever `additionalProperties` allows.
    const extra = isObject(schema.additionalProperties)
      ? schema.additionalProperties
      : {};
    for (const key of required)
      if (!(key in answer))
        answer[key] = this.value(extra, `${path}.${key}`, depth + 1, {
          key,
          phrase,
        });
    return answer;
  }

  private array(
    schema: SchemaObject,
    path: string,
    depth: number,
    place: Place,
  ): unknown[] {
    const min = Math.max(0, asInteger(schema.minItems) ?? 0);
    const max = asInteger(schema.maxItems) ?? Infinity;
    const tuple = Array.isArray(schema.prefixItems)
      ? (schema.prefixItems as JsonSchema[])
      : [];
    const rest: JsonSchema | undefined =
      schema.items === false
        ? undefined
        : isObject(schema.items) || schema.items === true
          ? schema.items
          : {};
    const wanted =
      depth >= DEEP
        ? min
        : Math.min(3, Math.max(1, this.source.candidates.length));
    let count = Math.min(Math.max(wanted, min), max);
    if (rest === undefined) count = Math.min(count, tuple.length);
    const items = Array.from({ length: count }, (_, i) =>
      this.value(
        i < tuple.length ? tuple[i] : rest!,
        `${path}[${i}]`,
        depth + 1,
        {
          item: true,
          key: place.key,
        },
      ),
    );
    return schema.uniqueItems === true ? this.distinct(items) : items;
  }

  /** Strings repeated when the phrases ran out get a number; other repeats stay (a schema asking more than the text holds). */
  private distinct(items: unknown[]): unknown[] {
    const seen = new Set<string>();
    return items.map((item, i) => {
      let value = item;
      if (typeof value === 'string' && seen.has(JSON.stringify(value)))
        value = `${value} ${i + 1}`;
      seen.add(JSON.stringify(value));
      return value;
    });
  }

  private string(schema: SchemaObject, path: string, place: Place): string {
    const format = typeof schema.format === 'string' ? schema.format : '';
    let text: string;
    if (format === 'uuid') {
      const hex = this.source.hash(path).toString(16).padStart(8, '0');
      text = `${hex}-0000-4000-8000-${hex}0000`;
    } else if (Object.hasOwn(FORMATS, format)) text = FORMATS[format];
    else if (place.key && LANGUAGE_KEY.test(place.key))
      text = this.source.language();
    else if (place.key && NAME_KEY.test(place.key))
      text = place.phrase ?? this.next();
    else if (place.item) text = this.next();
    else text = this.source.excerpt(place.phrase);
    return this.fit(text, schema);
  }

  /** Pads or cuts a string to `minLength`/`maxLength` (counted in code points, as JSON Schema does). */
  private fit(text: string, schema: SchemaObject): string {
    let points = Array.from(text);
    const min = asInteger(schema.minLength) ?? 0;
    const max = asInteger(schema.maxLength);
    while (points.length < min) points.push('.');
    if (max !== undefined && points.length > max)
      points = points.slice(0, Math.max(max, 0));
    return points.join('');
  }

  private number(schema: SchemaObject, integer: boolean): number {
    let low = asNumber(schema.minimum) ?? -Infinity;
    let high = asNumber(schema.maximum) ?? Infinity;
    const above = asNumber(schema.exclusiveMinimum);
    const below = asNumber(schema.exclusiveMaximum);
    const step = integer ? 1 : 1e-6;
    if (above !== undefined) low = Math.max(low, above + step);
    if (below !== undefined) high = Math.min(high, below - step);
    if (integer) {
      low = Math.ceil(low);
      high = Math.floor(high);
    }
    let value = Math.min(Math.max(integer ? 1 : 0.9, low), high);
    const multiple = asNumber(schema.multipleOf);
    if (multiple !== undefined && multiple > 0) {
      value = Math.ceil(value / multiple) * multiple;
      if (value > high) value -= multiple;
      value = Number(value.toPrecision(12));
    }
    return value;
  }
}
