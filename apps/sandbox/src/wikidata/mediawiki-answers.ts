import { createHash } from 'node:crypto';
import type { SearchMatch } from './item-search.js';
import { escapeHtml } from './wikimedia-answers.js';
import type { WikidataItem, WikidataLanguage } from './wikidata-items.js';

/** The shapes of MediaWiki's action API answers (`format=json`, format version 1). */

const SERVED_BY = 'mw-api-ext.sandbox';
const API_HELP =
  'See https://www.wikidata.org/w/api.php for API usage. Subscribe to the mediawiki-api-announce mailing list at &lt;https://lists.wikimedia.org/postorius/lists/mediawiki-api-announce.lists.wikimedia.org/&gt; for notice of API deprecations and breaking changes.';

/**
 * An API error. MediaWiki answers it with a 200 and a
 * `MediaWiki-API-Error: <code>` header; the body is `{error, servedby}`.
 */
export class MediaWikiError extends Error {
  constructor(
    readonly code: string,
    readonly info: string,
    readonly details: Record<string, unknown> = {},
    readonly headers: Record<string, string> = {},
  ) {
    super(info);
  }

  body(): unknown {
    return {
      error: {
        code: this.code,
        info: this.info,
        ...this.details,
        '*': API_HELP,
      },
      servedby: SERVED_BY,
    };
  }
}

export const badValue = (parameter: string, value: string) =>
  new MediaWikiError(
    'badvalue',
    `Unrecognized value for parameter "${parameter}": ${value}.`,
  );

export const missingParameter = (parameter: string) =>
  new MediaWikiError(
    'missingparam',
    `The "${parameter}" parameter must be set.`,
  );

export const badInteger = (parameter: string, value: string) =>
  new MediaWikiError(
    'badinteger',
    `Invalid value "${value}" for integer parameter "${parameter}".`,
  );

/** Stable stand-ins for the numbers MediaWiki stores beside an item. */
const numericId = (id: string) => Number(id.slice(1));
const pageId = (id: string) => 100_000 + (numericId(id) % 90_000_000);
const sha1 = (text: string) => createHash('sha1').update(text).digest('hex');

function statementId(item: string, value: string): string {
  const hex = sha1(`${item}$P31$${value}`).toUpperCase();
  return `${item}$${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
}

/** The language shown for an item: the one asked for, else English. */
function shown(
  values: Record<WikidataLanguage, string>,
  language: string,
): { value: string; language: WikidataLanguage } {
  const lang: WikidataLanguage = language === 'pt' ? 'pt' : 'en';
  return { value: values[lang], language: lang };
}

/** One result of `wbsearchentities`. */
export function searchResult(match: SearchMatch, uselang: string): unknown {
  const { item } = match;
  const label = shown(item.labels, uselang);
  const description = shown(item.descriptions, uselang);
  return {
    id: item.id,
    title: item.id,
    pageid: pageId(item.id),
    display: { label, description },
    repository: 'wikidata',
    url: `//www.wikidata.org/wiki/${item.id}`,
    concepturi: `http://www.wikidata.org/entity/${item.id}`,
    label: label.value,
    description: description.value,
    match: { type: match.type, language: match.language, text: match.text },
    ...(match.type === 'alias' ? { aliases: [match.text] } : {}),
  };
}

function statement(item: string, value: string): unknown {
  return {
    mainsnak: {
      snaktype: 'value',
      property: 'P31',
      hash: sha1(`P31:${value}`),
      datavalue: {
        value: {
          'entity-type': 'item',
          'numeric-id': numericId(value),
          id: value,
        },
        type: 'wikibase-entityid',
      },
      datatype: 'wikibase-item',
    },
    type: 'statement',
    id: statementId(item, value),
    rank: 'normal',
  };
}

const inLanguages = <T>(
  values: Partial<Record<WikidataLanguage, T>>,
  languages: ReadonlySet<string> | undefined,
  shape: (value: T, language: WikidataLanguage) => unknown,
): Record<string, unknown> =>
  Object.fromEntries(
    (Object.entries(values) as [WikidataLanguage, T][])
      .filter(([language]) => !languages || languages.has(language))
      .map(([language, value]) => [language, shape(value, language)]),
  );

/** One entity of `wbgetentities`, with the parts `props` asks for, in `languages` (all when unset). */
export function entityDocument(
  item: WikidataItem,
  props: ReadonlySet<string>,
  languages: ReadonlySet<string> | undefined,
): Record<string, unknown> {
  const doc: Record<string, unknown> = {};
  if (props.has('info'))
    Object.assign(doc, {
      pageid: pageId(item.id),
      ns: 0,
      title: item.id,
      lastrevid: 2_300_000_000 + (numericId(item.id) % 100_000_000),
      modified: '2026-01-01T00:00:00Z',
    });
  doc.type = 'item';
  doc.id = item.id;
  const term = (value: string, language: WikidataLanguage) => ({
    language,
    value,
  });
  if (props.has('labels'))
    doc.labels = inLanguages(item.labels, languages, term);
  if (props.has('descriptions'))
    doc.descriptions = inLanguages(item.descriptions, languages, term);
  if (props.has('aliases'))
    doc.aliases = inLanguages(item.aliases, languages, (values, language) =>
      values.map((value) => term(value, language)),
    );
  if (props.has('claims'))
    doc.claims = {
      P31: item.instanceOf.map((value) => statement(item.id, value)),
    };
  if (props.has('sitelinks') || props.has('sitelinks/urls'))
    doc.sitelinks = Object.fromEntries(
      (['pt', 'en'] as const).map((language) => {
        const site = `${language}wiki`;
        const title = item.labels[language];
        return [
          site,
          {
            site,
            title,
            badges: [],
            ...(props.has('sitelinks/urls')
              ? {
                  url: `https://${language}.wikipedia.org/wiki/${encodeURIComponent(title.replaceAll(' ', '_'))}`,
                }
              : {}),
          },
        ];
      }),
    );
  return doc;
}

/** Without `format=json`, MediaWiki pretty-prints the JSON in an HTML page (`jsonfm`). */
export const jsonfmPage = (body: unknown) =>
  `<!DOCTYPE html><html><body><pre>${escapeHtml(JSON.stringify(body, null, 4))}</pre></body></html>`;

/** The answer for an id the table does not hold, as MediaWiki gives it. */
export const missingEntity = (id: string) => ({ id, missing: '' });
