import { Injectable } from '@nestjs/common';
import { searchItems } from './item-search.js';
import {
  badInteger,
  badValue,
  entityDocument,
  MediaWikiError,
  missingEntity,
  missingParameter,
  searchResult,
} from './mediawiki-answers.js';
import { itemById } from './wikidata-items.js';

/** The query of one `/w/api.php` request: the first value of each parameter. */
export type ApiQuery = Record<string, string | undefined>;

const MAX_LIMIT = 50;
const MAX_IDS = 50;
const DEFAULT_PROPS =
  'info|sitelinks|aliases|labels|descriptions|claims|datatype';
const ENTITY_TYPES = [
  'item',
  'property',
  'lexeme',
  'form',
  'sense',
  'entity-schema',
];
const LANGUAGE = /^[a-z]{2,3}(-[a-z0-9]+)*$/i;
const ENTITY_ID = /^[QPL][1-9]\d*$/;

function integer(
  name: string,
  raw: string | undefined,
  fallback: number,
): number {
  if (raw === undefined || raw === '') return fallback;
  if (!/^-?\d+$/.test(raw)) throw badInteger(name, raw);
  return Number(raw);
}

/**
 * Wikidata's `wbsearchentities` and `wbgetentities` over the item table
 * (wikidata-items.ts), with MediaWiki's errors for what they refuse.
 */
@Injectable()
export class WikidataService {
  /** The JSON body of the answer; a refused request throws MediaWikiError. */
  answer(query: ApiQuery): unknown {
    switch (query.action) {
      case 'wbsearchentities':
        return this.search(query);
      case 'wbgetentities':
        return this.entities(query);
      case undefined:
      case '':
        throw missingParameter('action');
      default:
        throw badValue('action', query.action);
    }
  }

  private search(query: ApiQuery): unknown {
    const { search } = query;
    if (!search) throw missingParameter('search');
    const language = query.language;
    if (!language) throw missingParameter('language');
    if (!LANGUAGE.test(language)) throw badValue('language', language);
    const uselang = query.uselang || language;
    const type = query.type || 'item';
    if (!ENTITY_TYPES.includes(type)) throw badValue('type', type);
    const warnings: string[] = [];
    let limit =
      query.limit === 'max' ? MAX_LIMIT : integer('limit', query.limit, 7);
    if (limit > MAX_LIMIT) {
      warnings.push(
        `limit may not be over ${MAX_LIMIT} (set to ${limit}) for users`,
      );
      limit = MAX_LIMIT;
    } else if (limit < 1) {
      warnings.push(`limit may not be less than 1 (set to ${limit})`);
      limit = 1;
    }
    const offset = Math.max(0, integer('continue', query.continue, 0));
    const strict = query.strictlanguage !== undefined;
    // The table holds items only: other entity types find nothing.
    const matches =
      type === 'item' ? searchItems(search, language, strict) : [];
    const page = matches.slice(offset, offset + limit);
    return {
      ...(warnings.length
        ? { warnings: { wbsearchentities: { '*': warnings.join('\n') } } }
        : {}),
      searchinfo: { search },
      search: page.map((match) => searchResult(match, uselang)),
      ...(offset + limit < matches.length
        ? { 'search-continue': offset + limit }
        : {}),
      success: 1,
    };
  }

  private entities(query: ApiQuery): unknown {
    if (!query.ids) {
      if (query.sites || query.titles)
        throw new MediaWikiError(
          'param-illegal',
          'The sandbox looks entities up by "ids" only.',
        );
      throw new MediaWikiError(
        'param-missing',
        'Either provide the item "ids" or pairs of "sites" and "titles" for corresponding pages',
      );
    }
    const ids = [
      ...new Set(
        query.ids
          .split('|')
          .map((id) => id.trim().toUpperCase())
          .filter(Boolean),
      ),
    ];
    if (ids.length > MAX_IDS)
      throw new MediaWikiError(
        'toomanyvalues',
        `Too many values supplied for parameter "ids". The limit is ${MAX_IDS}.`,
        { parameter: 'ids', limit: MAX_IDS },
      );
    const invalid = ids.find((id) => !ENTITY_ID.test(id));
    if (invalid !== undefined)
      throw new MediaWikiError(
        'no-such-entity',
        `Could not find an entity with the ID "${invalid}".`,
        { id: invalid },
      );
    const props = new Set((query.props || DEFAULT_PROPS).split('|'));
    const languages = query.languages
      ? new Set(query.languages.split('|'))
      : undefined;
    return {
      entities: Object.fromEntries(
        ids.map((id) => {
          const item = itemById(id);
          return [
            id,
            item ? entityDocument(item, props, languages) : missingEntity(id),
          ];
        }),
      ),
      success: 1,
    };
  }
}
