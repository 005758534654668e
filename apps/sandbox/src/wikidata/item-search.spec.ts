import { foldText, searchItems } from './item-search.js';
import {
  AREAS,
  HUMAN,
  ITEMS,
  NAMESAKES,
  PEOPLE,
  TOPICS,
} from './wikidata-items.js';

const ids = (search: string, language = 'pt', strict = false) =>
  searchItems(search, language, strict).map((match) => match.item.id);

describe('the item table', () => {
  it('holds people, namesakes, topics and areas, each id once', () => {
    expect(PEOPLE.length).toBeGreaterThanOrEqual(8);
    expect(PEOPLE.every((item) => item.instanceOf.includes(HUMAN))).toBe(true);
    expect(NAMESAKES.length).toBeGreaterThanOrEqual(2);
    expect(NAMESAKES.some((item) => item.instanceOf.includes(HUMAN))).toBe(
      false,
    );
    expect(TOPICS.length).toBeGreaterThanOrEqual(10);
    expect(AREAS.map((area) => area.labels.pt)).toEqual([
      'Política',
      'Saúde pública',
      'Economia',
      'Educação',
      'Segurança pública',
      'Meio ambiente',
    ]);
    expect(new Set(ITEMS.map((item) => item.id)).size).toBe(ITEMS.length);
    for (const item of ITEMS) expect(item.id).toMatch(/^Q[1-9]\d*$/);
  });
});

describe('searchItems', () => {
  it('folds case and accents', () => {
    expect(foldText('  SAÚDE   Pública ')).toBe('saude publica');
  });

  it('matches label and alias prefixes, case- and accent-insensitively', () => {
    expect(ids('luiz inacio')).toEqual(['Q37181']);
    expect(ids('GETULIO')).toEqual(['Q156844']);
    expect(ids('saúde')).toEqual(['Q12147', 'Q189603']);
  });

  it('puts exact matches first, labels before aliases, and keeps namesakes', () => {
    const lula = searchItems('Lula', 'pt');
    expect(lula.map((match) => [match.item.id, match.type])).toEqual([
      ['Q37181', 'alias'],
      ['Q1064404', 'label'],
    ]);
    // As on the real Wikidata, the town outranks the president.
    expect(ids('Obama')).toEqual(['Q41773', 'Q18355807', 'Q76']);
  });

  it('falls back to English unless the language is strict', () => {
    expect(ids('squidward')).toEqual(['Q1064404']);
    expect(ids('squidward', 'pt', true)).toEqual([]);
    expect(searchItems('public health', 'pt')[0]).toMatchObject({
      language: 'en',
      type: 'label',
    });
  });

  it('finds nothing for an unknown name or an empty search', () => {
    expect(ids('Zzyzx')).toEqual([]);
    expect(ids('   ')).toEqual([]);
  });
});
