// What a lookup asks, checked and normalised the same way by the real
// client and the mock, and the cache keys derived from it.

/** `wbsearchentities` answers at most 50 hits to a client without bot rights. */
export const MAX_SEARCH_LIMIT = 50;

/** `wbgetentities` takes at most 50 ids per request. */
export const MAX_IDS_PER_REQUEST = 50;

/**
 * Wikidata's labels and aliases are at most 250 characters: a longer term
 * cannot be the start of any of them, so it matches nothing without asking
 * (and cannot make a URL too long for the server).
 */
export const MAX_TERM_LENGTH = 250;

/** An item id as Wikibase parses one (`ItemId`: at most ten digits). */
const ITEM_ID = /^Q[1-9]\d{0,9}$/;

/** A language code as Wikidata writes them (`pt`, `pt-br`, `be-x-old`, `mul`). */
const LANGUAGE = /^[a-z]{2,3}(-[a-z0-9]{1,8})*$/;

/** Where an item is shown to people. */
export const itemUrl = (id: string): string =>
  `https://www.wikidata.org/wiki/${id}`;

export const isItemId = (id: unknown): id is string =>
  typeof id === 'string' && ITEM_ID.test(id);

/**
 * The term as searched and cached: Unicode NFC, surrounding space trimmed,
 * inner runs of space made one. Case is kept: Wikidata's ranking may use it.
 */
export const normaliseTerm = (term: string): string =>
  term.normalize('NFC').trim().replace(/\s+/gu, ' ');

/** Characters as Wikibase counts them (code points): a surrogate pair is one. */
const characters = (text: string): number =>
  text.replace(/[\uD800-\uDBFF][\uDC00-\uDFFF]/g, '_').length;

/** A term that can match something: not blank, not longer than any label. */
export const searchable = (normalised: string): boolean =>
  normalised !== '' && characters(normalised) <= MAX_TERM_LENGTH;

/**
 * The language code, lower case. A malformed one is the caller's bug (the
 * processors choose or check the language before asking): a RangeError,
 * never a request that could put `|` into a multi-value parameter.
 */
export function checkedLanguage(language: string): string {
  const code = String(language).toLowerCase();
  if (!LANGUAGE.test(code)) {
    throw new RangeError(
      `not a Wikidata language code: ${JSON.stringify(String(language).slice(0, 40))}`,
    );
  }
  return code;
}

/** The search limit, 1 to 50; anything else is the caller's bug (a RangeError). */
export function checkedLimit(limit: number): number {
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT) {
    throw new RangeError(
      `a Wikidata search limit is an integer from 1 to ${MAX_SEARCH_LIMIT} (got ${limit})`,
    );
  }
  return limit;
}

/** The distinct well-formed item ids of `ids`; others are not Wikidata items, so left out. */
export const distinctItemIds = (ids: readonly string[]): string[] => [
  ...new Set(ids.filter(isItemId)),
];

export const searchKey = (
  language: string,
  limit: number,
  normalisedTerm: string,
): string => `search:${language}:${limit}:${normalisedTerm}`;

export const itemKey = (language: string, id: string): string =>
  `item:${language}:${id}`;
