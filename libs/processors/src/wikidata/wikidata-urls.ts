import { WBK, type Wbk } from 'wikibase-sdk';

/** What `wbgetentities` is asked for: never sitelinks nor other languages. */
const ENTITY_PROPS = ['labels', 'descriptions', 'aliases', 'claims'] as const;

/** The languages an item's terms are asked in, in order of preference. */
export const termLanguages = (language: string): string[] => [
  // `mul` holds the one label of names that read the same in every
  // language: Wikidata moves people's names there.
  ...new Set([language, 'mul', 'en']),
];

/**
 * The request targets (path and query) of the two calls, built by
 * wikibase-sdk, with `maxlag` added as Wikimedia asks of bots. Only the
 * query is taken from the SDK: the path is `WIKIDATA_API_URL`'s as
 * configured, whatever its script path.
 */
export class WikidataUrls {
  private readonly wbk: Wbk;
  private readonly path: string;

  constructor(
    apiUrl: string,
    private readonly maxlagSeconds: number,
  ) {
    const url = new URL(apiUrl);
    this.path = url.pathname;
    this.wbk = WBK({
      instance: url.origin,
      wgScriptPath: url.pathname.replace(/\/api\.php$/, ''),
    });
  }

  /** `wbsearchentities` for items, labels and descriptions in `language` (with Wikidata's fallbacks). */
  search(term: string, language: string, limit: number): string {
    return this.target(
      this.wbk.searchEntities({
        search: term,
        language,
        uselang: language,
        limit,
        type: 'item',
      }),
    );
  }

  /** `wbgetentities` for at most 50 item ids. */
  entities(ids: readonly string[], language: string): string {
    return this.target(
      this.wbk.getEntities({
        ids: ids as `Q${number}`[],
        languages: termLanguages(language),
        props: [...ENTITY_PROPS],
      }),
    );
  }

  private target(sdkUrl: string): string {
    const { search } = new URL(sdkUrl);
    return `${this.path}${search}&maxlag=${this.maxlagSeconds}`;
  }
}
