import { z } from 'zod';
import type { WikidataCandidate, WikidataItem } from './wikidata-client.js';
import { isItemId, itemUrl } from './wikidata-lookup.js';

// The answers of `wbsearchentities` and `wbgetentities` (format version 1),
// checked before anything is used: the peer may be buggy or hostile, and
// an unexpected shape is an outage, never a crash or a made-up match.

/** The most aliases kept per item; Wikidata has items with hundreds. */
export const MAX_ALIASES = 20;

/** The most "instance of" values kept per item; real items have a handful. */
export const MAX_INSTANCE_OF = 20;

/**
 * The longest text accepted: Wikidata's labels, descriptions and aliases
 * are at most 250 characters, so a longer one is not Wikidata's answer.
 */
const MAX_TEXT_LENGTH = 1_000;

/** The most hits accepted in a search answer: twice what may be asked for. */
const MAX_SEARCH_HITS = 100;

/** An answer that is not what Wikidata answers; the message says where. */
export class InvalidWikidataAnswer extends Error {
  override name = 'InvalidWikidataAnswer';
}

const text = z.string().max(MAX_TEXT_LENGTH);
const itemId = z.string().refine(isItemId, 'not an item id');

/** Wikibase writes an empty map as `[]` in some places: the same as `{}`. */
const map = <T extends z.ZodType>(value: T) =>
  z.preprocess(
    (raw) => (Array.isArray(raw) && raw.length === 0 ? {} : raw),
    z.record(z.string(), value),
  );

const searchAnswer = z.object({
  search: z
    .array(
      z.object({
        id: itemId,
        label: text.optional(),
        description: text.optional(),
        match: z.object({ text: text.optional() }).optional(),
      }),
    )
    .max(MAX_SEARCH_HITS),
});

const term = z.object({ value: text });

/** One P31 statement: only what "instance of" needs is read. */
const statement = z.object({
  rank: z.string().optional(),
  mainsnak: z.object({
    // `somevalue` and `novalue` snaks have no datavalue.
    datavalue: z.object({ value: z.object({ id: itemId }) }).optional(),
  }),
});

const entity = z.object({
  id: itemId,
  missing: z.literal('').optional(),
  labels: map(term).optional(),
  descriptions: map(term).optional(),
  aliases: map(z.array(term)).optional(),
  // Other properties' statements are not read (nor checked).
  claims: z
    .preprocess(
      (raw) => (Array.isArray(raw) && raw.length === 0 ? {} : raw),
      z.object({ P31: z.array(statement).optional() }),
    )
    .optional(),
  redirects: z.object({ from: z.string(), to: z.string() }).optional(),
});

const entitiesAnswer = z.object({ entities: map(entity) });

const apiError = z.object({
  error: z.object({
    code: z.string().max(MAX_TEXT_LENGTH),
    info: z.string().optional(),
    lag: z.number().optional(),
  }),
});

function parsed<T>(schema: z.ZodType<T>, answer: unknown, what: string): T {
  const result = schema.safeParse(answer);
  if (result.success) return result.data;
  const [issue] = result.error.issues;
  const where = issue?.path.length ? ` at ${issue.path.join('.')}` : '';
  throw new InvalidWikidataAnswer(
    `${what}${where}: ${issue?.message ?? 'unexpected shape'}`.slice(0, 300),
  );
}

/** MediaWiki's `{error: {code, info}}` (answered with a 200), when the answer is one. */
export function apiErrorOf(
  answer: unknown,
): { code: string; info: string; lag?: number } | undefined {
  if (typeof answer !== 'object' || answer === null || !('error' in answer)) {
    return undefined;
  }
  const { error } = parsed(apiError, answer, 'an API error');
  return {
    code: error.code,
    info: (error.info ?? '').slice(0, 300),
    lag: error.lag,
  };
}

/** The candidates of a `wbsearchentities` answer, best first, each item once, at most `limit`. */
export function readSearchAnswer(
  answer: unknown,
  limit: number,
): WikidataCandidate[] {
  const { search } = parsed(searchAnswer, answer, 'a search answer');
  const seen = new Set<string>();
  const candidates: WikidataCandidate[] = [];
  for (const hit of search) {
    if (candidates.length >= limit) break;
    if (seen.has(hit.id)) continue;
    seen.add(hit.id);
    candidates.push({
      id: hit.id,
      // An item without a label in the asked language (or its fallbacks)
      // has none here: the text it matched names it best.
      label: hit.label ?? hit.match?.text ?? hit.id,
      ...(hit.description === undefined
        ? {}
        : { description: hit.description }),
    });
  }
  return candidates;
}

type Entity = z.infer<typeof entity>;

/** The first of `languages` that has a value. */
const inFirst = <T>(
  values: Record<string, T> | undefined,
  languages: readonly string[],
  has: (value: T) => boolean = () => true,
): T | undefined => {
  for (const language of languages) {
    const value = values?.[language];
    if (value !== undefined && has(value)) return value;
  }
  return undefined;
};

function item(found: Entity, languages: readonly string[]): WikidataItem {
  const aliases =
    inFirst(found.aliases, languages, (terms) => terms.length > 0) ?? [];
  const instanceOf = (found.claims?.P31 ?? [])
    .filter(({ rank }) => rank !== 'deprecated')
    .flatMap(({ mainsnak }) =>
      mainsnak.datavalue ? [mainsnak.datavalue.value.id] : [],
    );
  return {
    id: found.id,
    url: itemUrl(found.id),
    label: inFirst(found.labels, languages)?.value ?? found.id,
    description: inFirst(found.descriptions, languages)?.value ?? '',
    aliases: [...new Set(aliases.map(({ value }) => value))].slice(
      0,
      MAX_ALIASES,
    ),
    instanceOf: [...new Set(instanceOf)].slice(0, MAX_INSTANCE_OF),
  };
}

/**
 * The items of a `wbgetentities` answer, by the id asked for; an id
 * Wikidata does not have (`missing`, or absent) is left out. An id that is
 * a redirect is answered under the id asked for, with its target's id.
 * Terms come in the first of `languages` that has them.
 */
export function readEntitiesAnswer(
  answer: unknown,
  askedIds: readonly string[],
  languages: readonly string[],
): Map<string, WikidataItem> {
  const { entities } = parsed(entitiesAnswer, answer, 'an entities answer');
  const byAskedId = new Map<string, Entity>();
  for (const [key, found] of Object.entries(entities)) {
    if (found.id !== key) {
      throw new InvalidWikidataAnswer(
        `an entities answer: entity ${JSON.stringify(key.slice(0, 20))} has id ${found.id}`,
      );
    }
    if (found.missing !== undefined) continue;
    byAskedId.set(key, found);
    if (found.redirects) byAskedId.set(found.redirects.from, found);
  }
  const items = new Map<string, WikidataItem>();
  for (const id of askedIds) {
    const found = byAskedId.get(id);
    if (found) items.set(id, item(found, languages));
  }
  return items;
}
