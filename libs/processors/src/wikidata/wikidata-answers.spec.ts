import {
  wikidataEntitiesAnswer,
  wikidataEntity,
  wikidataSearchAnswer,
} from '../testing/index.js';
import {
  InvalidWikidataAnswer,
  MAX_ALIASES,
  apiErrorOf,
  readEntitiesAnswer,
  readSearchAnswer,
} from './wikidata-answers.js';

const PT = ['pt', 'mul', 'en'];

describe('reading Wikidata answers', () => {
  describe('wbsearchentities', () => {
    it('reads the candidates, best first, each item once, at most the limit', () => {
      const answer = wikidataSearchAnswer('Lula', [
        {
          id: 'Q37181',
          label: 'Luiz Inácio Lula da Silva',
          description: 'presidente do Brasil',
        },
        { id: 'Q37181', label: 'Luiz Inácio Lula da Silva' },
        { id: 'Q1', label: 'Universo' },
        { id: 'Q2', label: 'Terra' },
      ]);
      expect(readSearchAnswer(answer, 2)).toEqual([
        {
          id: 'Q37181',
          label: 'Luiz Inácio Lula da Silva',
          description: 'presidente do Brasil',
        },
        { id: 'Q1', label: 'Universo' },
      ]);
    });

    it('names a hit without a label by the text it matched, else by its id', () => {
      const answer = {
        search: [
          {
            id: 'Q5',
            match: { type: 'alias', language: 'en', text: 'person' },
          },
          { id: 'Q6' },
        ],
      };
      expect(readSearchAnswer(answer, 7)).toEqual([
        { id: 'Q5', label: 'person' },
        { id: 'Q6', label: 'Q6' },
      ]);
    });

    it('reads "no match" as no candidates', () => {
      expect(
        readSearchAnswer(
          { searchinfo: { search: 'x' }, search: [], success: 1 },
          5,
        ),
      ).toEqual([]);
    });

    it.each([
      ['not an object', 'nope', /search answer/],
      ['no search array', { success: 1 }, /search/],
      [
        'a property id',
        { search: [{ id: 'P31', label: 'x' }] },
        /search\.0\.id/,
      ],
      [
        'a label that is not text',
        { search: [{ id: 'Q1', label: 7 }] },
        /search\.0\.label/,
      ],
      [
        'a label longer than any Wikidata allows',
        { search: [{ id: 'Q1', label: 'x'.repeat(1_001) }] },
        /label/,
      ],
      [
        'too many hits',
        {
          search: Array.from({ length: 101 }, (_, i) => ({ id: `Q${i + 1}` })),
        },
        /search/,
      ],
    ])('refuses %s', (_, answer, message) => {
      expect(() => readSearchAnswer(answer, 5)).toThrow(InvalidWikidataAnswer);
      expect(() => readSearchAnswer(answer, 5)).toThrow(message);
    });
  });

  describe('wbgetentities', () => {
    it('reads terms in the asked language, and "instance of"', () => {
      const answer = wikidataEntitiesAnswer([
        {
          id: 'Q37181',
          labels: { pt: 'Lula', en: 'Luiz Inácio Lula da Silva' },
          descriptions: {
            pt: 'presidente do Brasil',
            en: 'president of Brazil',
          },
          aliases: { pt: ['Lula da Silva', 'Lula'], en: ['Lula'] },
          instanceOf: ['Q5'],
        },
      ]);
      expect(readEntitiesAnswer(answer, ['Q37181'], PT)).toEqual(
        new Map([
          [
            'Q37181',
            {
              id: 'Q37181',
              url: 'https://www.wikidata.org/wiki/Q37181',
              label: 'Lula',
              description: 'presidente do Brasil',
              aliases: ['Lula da Silva', 'Lula'],
              instanceOf: ['Q5'],
            },
          ],
        ]),
      );
    });

    it('falls back to `mul`, then English, term by term', () => {
      const answer = wikidataEntitiesAnswer([
        {
          id: 'Q1',
          labels: { mul: 'Douglas Adams', en: 'Douglas Adams (en)' },
          descriptions: { en: 'English writer' },
          aliases: { pt: [], en: ['DNA'] },
        },
        { id: 'Q2' },
      ]);
      const items = readEntitiesAnswer(answer, ['Q1', 'Q2'], PT);
      expect(items.get('Q1')).toMatchObject({
        label: 'Douglas Adams',
        description: 'English writer',
        aliases: ['DNA'],
        instanceOf: [],
      });
      // No term at all: named by its id, as Wikidata shows it.
      expect(items.get('Q2')).toMatchObject({
        label: 'Q2',
        description: '',
        aliases: [],
      });
    });

    it('leaves out ids Wikidata does not have, and ids it did not answer', () => {
      const answer = wikidataEntitiesAnswer(
        [{ id: 'Q1', labels: { en: 'one' } }],
        ['Q404'],
      );
      expect([
        ...readEntitiesAnswer(answer, ['Q1', 'Q404', 'Q7'], PT).keys(),
      ]).toEqual(['Q1']);
    });

    it('answers a redirect under the id asked for', () => {
      const entity = {
        ...(wikidataEntity({ id: 'Q2', labels: { en: 'two' } }) as object),
        redirects: { from: 'Q1', to: 'Q2' },
      };
      const items = readEntitiesAnswer(
        { entities: { Q2: entity } },
        ['Q1'],
        PT,
      );
      expect(items.get('Q1')).toMatchObject({ id: 'Q2', label: 'two' });
    });

    it('reads empty maps written as arrays, skips deprecated and valueless statements, and caps what it keeps', () => {
      const claim = (id: string | undefined, rank = 'normal') => ({
        rank,
        mainsnak: id
          ? { snaktype: 'value', datavalue: { value: { id } } }
          : { snaktype: 'somevalue' },
      });
      const answer = {
        entities: {
          Q1: {
            id: 'Q1',
            labels: [],
            descriptions: [],
            aliases: {
              en: Array.from({ length: 50 }, (_, i) => ({
                value: `alias ${i}`,
              })),
            },
            claims: {
              P31: [
                claim('Q5'),
                claim('Q5'),
                claim('Q4167410', 'deprecated'),
                claim(undefined),
              ],
            },
          },
          Q2: { id: 'Q2', claims: [] },
        },
      };
      const items = readEntitiesAnswer(answer, ['Q1', 'Q2'], PT);
      expect(items.get('Q1')!.instanceOf).toEqual(['Q5']);
      expect(items.get('Q1')!.aliases).toHaveLength(MAX_ALIASES);
      expect(items.get('Q2')!.instanceOf).toEqual([]);
    });

    it.each([
      ['no entities', { success: 1 }],
      ['an entity under another id', { entities: { Q1: { id: 'Q2' } } }],
      [
        'a label that is not a term',
        { entities: { Q1: { id: 'Q1', labels: { en: 'one' } } } },
      ],
      [
        'aliases that are not lists',
        { entities: { Q1: { id: 'Q1', aliases: { en: { value: 'x' } } } } },
      ],
      [
        'a P31 value that is not an item',
        {
          entities: {
            Q1: {
              id: 'Q1',
              claims: { P31: [{ mainsnak: { datavalue: { value: 'Q5' } } }] },
            },
          },
        },
      ],
      [
        'statements that are not a list',
        { entities: { Q1: { id: 'Q1', claims: { P31: { id: 'Q5' } } } } },
      ],
    ])('refuses %s', (_, answer) => {
      expect(() => readEntitiesAnswer(answer, ['Q1'], PT)).toThrow(
        InvalidWikidataAnswer,
      );
    });
  });

  describe('API errors', () => {
    it('reads MediaWiki errors, and nothing from other answers', () => {
      expect(
        apiErrorOf({
          error: {
            code: 'maxlag',
            info: 'Waiting for a database server: 7 seconds lagged.',
            lag: 7,
          },
        }),
      ).toEqual({
        code: 'maxlag',
        info: 'Waiting for a database server: 7 seconds lagged.',
        lag: 7,
      });
      expect(apiErrorOf({ search: [] })).toBeUndefined();
      expect(apiErrorOf([])).toBeUndefined();
      expect(() => apiErrorOf({ error: 'boom' })).toThrow(
        InvalidWikidataAnswer,
      );
    });
  });
});
