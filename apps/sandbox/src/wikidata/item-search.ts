import {
  ITEMS,
  type WikidataItem,
  type WikidataLanguage,
} from './wikidata-items.js';

/** Case- and accent-insensitive, spaces collapsed: how the search compares texts. */
export function foldText(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}

export interface SearchMatch {
  item: WikidataItem;
  type: 'label' | 'alias';
  language: WikidataLanguage;
  /** The label or alias matched, as written. */
  text: string;
}

const LANGUAGES: readonly WikidataLanguage[] = ['pt', 'en'];

/**
 * `wbsearchentities` over the item table: a prefix match of labels and
 * aliases, in `language` first and then in the other languages (as
 * Wikidata's language fallback does) unless `strict`. Exact matches come
 * before prefixes, labels before aliases, then the table's order (its
 * "popularity"); each item once, with its best match.
 */
export function searchItems(
  search: string,
  language: string,
  strict = false,
): SearchMatch[] {
  const wanted = foldText(search);
  if (!wanted) return [];
  const languages = LANGUAGES.filter((lang) =>
    strict ? lang === language : true,
  ).sort((a, b) => Number(b === language) - Number(a === language));
  const ranked: { match: SearchMatch; rank: number }[] = [];
  ITEMS.forEach((item, order) => {
    let best: { match: SearchMatch; rank: number } | undefined;
    for (const [l, lang] of languages.entries()) {
      const terms: [SearchMatch['type'], string][] = [
        ['label', item.labels[lang]],
        ...(item.aliases[lang] ?? []).map(
          (alias): [SearchMatch['type'], string] => ['alias', alias],
        ),
      ];
      for (const [type, text] of terms) {
        const folded = foldText(text);
        if (!folded.startsWith(wanted)) continue;
        // exact before prefix, the asked language before fallbacks, labels before aliases
        const rank =
          (folded === wanted ? 0 : 4) + l * 2 + (type === 'label' ? 0 : 1);
        if (!best || rank < best.rank)
          best = { match: { item, type, language: lang, text }, rank };
      }
    }
    if (best)
      ranked.push({ match: best.match, rank: best.rank * 1000 + order });
  });
  return ranked.sort((a, b) => a.rank - b.rank).map(({ match }) => match);
}
