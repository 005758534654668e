// Test helpers for code that uses Wikidata: limits and pauses for tests,
// a clock they advance, and answers shaped as Wikidata's. Exported through
// `@app/processors/testing`; the service never uses them.
import {
  WIKIDATA_LIMITS,
  WIKIDATA_RETRY_TIMING,
} from '../processors.constants.js';
import {
  DEFAULT_WIKIDATA_LIMITS,
  type WikidataLimits,
  type WikidataRetryTiming,
} from './wikidata-limits.js';

/** Pauses of about a millisecond between attempts; a `Retry-After` above a second ends the retries. */
export const TEST_WIKIDATA_RETRY_TIMING: WikidataRetryTiming = {
  initialDelayMs: 1,
  maxDelayMs: 1_000,
};

/** A clock that moves only when told: for the cache's lifetimes. */
export class ManualClock {
  private ms = 1_000;

  now(): number {
    return this.ms;
  }

  advance(ms: number): void {
    this.ms += ms;
  }
}

/** The default limits with `overrides`. */
export const wikidataLimits = (
  overrides: Partial<WikidataLimits> = {},
): WikidataLimits => ({ ...DEFAULT_WIKIDATA_LIMITS, ...overrides });

/**
 * The `[token, value]` overrides of `startLibraryModule` that make the
 * Wikidata module fit for tests: tiny pauses, and the limits given.
 */
export const wikidataOverrides = (
  options: {
    limits?: Partial<WikidataLimits>;
    retryTiming?: WikidataRetryTiming;
  } = {},
): [unknown, unknown][] => [
  [WIKIDATA_LIMITS, wikidataLimits(options.limits)],
  [WIKIDATA_RETRY_TIMING, options.retryTiming ?? TEST_WIKIDATA_RETRY_TIMING],
];

/** A search hit as `wbsearchentities` answers it (English display). */
export interface TestSearchHit {
  id: string;
  label?: string;
  description?: string;
}

/** A `wbsearchentities` answer (format version 1) with these hits. */
export const wikidataSearchAnswer = (
  search: string,
  hits: readonly TestSearchHit[],
): unknown => ({
  searchinfo: { search },
  search: hits.map(({ id, label, description }) => ({
    id,
    title: id,
    pageid: 1_000 + Number(id.slice(1)),
    repository: 'wikidata',
    url: `//www.wikidata.org/wiki/${id}`,
    concepturi: `http://www.wikidata.org/entity/${id}`,
    ...(label === undefined ? {} : { label }),
    ...(description === undefined ? {} : { description }),
    match: { type: 'label', language: 'en', text: label ?? id },
  })),
  success: 1,
});

/** An item as a test describes it: terms by language, "instance of" ids. */
export interface TestEntity {
  id: string;
  labels?: Record<string, string>;
  descriptions?: Record<string, string>;
  aliases?: Record<string, string[]>;
  instanceOf?: string[];
}

const terms = (values: Record<string, string> = {}) =>
  Object.fromEntries(
    Object.entries(values).map(([language, value]) => [
      language,
      { language, value },
    ]),
  );

/** One entity of `wbgetentities` (format version 1), as Wikidata writes it. */
export const wikidataEntity = (entity: TestEntity): unknown => ({
  type: 'item',
  id: entity.id,
  labels: terms(entity.labels),
  descriptions: terms(entity.descriptions),
  aliases: Object.fromEntries(
    Object.entries(entity.aliases ?? {}).map(([language, values]) => [
      language,
      values.map((value) => ({ language, value })),
    ]),
  ),
  claims: {
    P31: (entity.instanceOf ?? []).map((value) => ({
      mainsnak: {
        snaktype: 'value',
        property: 'P31',
        datavalue: {
          value: {
            'entity-type': 'item',
            'numeric-id': Number(value.slice(1)),
            id: value,
          },
          type: 'wikibase-entityid',
        },
        datatype: 'wikibase-item',
      },
      type: 'statement',
      rank: 'normal',
    })),
  },
});

/** A `wbgetentities` answer: these entities, and `{id, missing: ''}` for `missing` ids. */
export const wikidataEntitiesAnswer = (
  entities: readonly TestEntity[],
  missing: readonly string[] = [],
): unknown => ({
  entities: Object.fromEntries([
    ...entities.map((entity) => [entity.id, wikidataEntity(entity)]),
    ...missing.map((id) => [id, { id, missing: '' }]),
  ]),
  success: 1,
});
