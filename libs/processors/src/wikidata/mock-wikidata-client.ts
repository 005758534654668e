import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { ServiceConfig } from '@app/config';
import {
  type WikidataCandidate,
  WikidataClient,
  type WikidataItem,
} from './wikidata-client.js';
import {
  checkedLanguage,
  checkedLimit,
  distinctItemIds,
  itemUrl,
  normaliseTerm,
  searchable,
} from './wikidata-lookup.js';

/** Labels of the ids handed out that are remembered; the oldest are forgotten first. */
export const MOCK_REMEMBERED_IDS = 10_000;

/** Lower-case words a person's name may hold between capitalised ones (Portuguese, Spanish, Dutch, German…). */
const NAME_PARTICLES = new Set([
  'da',
  'das',
  'de',
  'del',
  'der',
  'di',
  'do',
  'dos',
  'du',
  'e',
  'la',
  'le',
  'van',
  'von',
  'y',
]);

const capitalised = (word: string): boolean => /^\p{Lu}/u.test(word);

/**
 * "Looks like a person's name": two or more capitalised words, and nothing
 * else but particles (`Luiz Inácio Lula da Silva`). Deliberately naive:
 * "Rio Grande" passes too, which a mock can afford.
 */
export function looksLikePersonName(label: string): boolean {
  const words = label.split(' ');
  return (
    words.filter(capitalised).length >= 2 &&
    words.every((word) => capitalised(word) || NAME_PARTICLES.has(word))
  );
}

/** `Q9` and seven digits of the term's SHA-256: the same term, the same id, on every run. */
export function mockItemId(normalisedTerm: string): string {
  const digest = createHash('sha256').update(normalisedTerm).digest();
  return `Q9${String(digest.readUInt32BE(0) % 10_000_000).padStart(7, '0')}`;
}

/**
 * Mock mode's Wikidata: no request leaves the process. `search` answers one
 * candidate for any term that is not blank: id `mockItemId(term)`, label
 * the term (its spaces normalised), description `mock item`. `items`
 * answers an item for any well-formed item id: the label the id was handed
 * out with (the id itself for an id it never handed out, or has forgotten),
 * and `instanceOf: ['Q5']` (human) when that label looks like a person's
 * name. Deterministic for a given sequence of calls; the language is
 * checked and otherwise ignored.
 */
@Injectable()
export class MockWikidataClient extends WikidataClient {
  readonly description: string;
  /** Ids handed out by `search`, with their labels: bounded, oldest first. */
  private readonly labels = new Map<string, string>();

  constructor(config: ServiceConfig) {
    super();
    this.description = `mock wikidata (no request leaves the process): ${config.chat.provider.reason}`;
  }

  // Async, as the real client's: a malformed argument is a rejection.
  async search(
    term: string,
    language: string,
    limit: number,
  ): Promise<WikidataCandidate[]> {
    checkedLanguage(language);
    checkedLimit(limit);
    const label = normaliseTerm(term);
    if (!searchable(label)) return [];
    const id = mockItemId(label);
    this.remember(id, label);
    return [{ id, label, description: 'mock item' }];
  }

  async items(
    ids: readonly string[],
    language: string,
  ): Promise<Map<string, WikidataItem>> {
    checkedLanguage(language);
    const items = new Map<string, WikidataItem>();
    for (const id of distinctItemIds(ids)) {
      const label = this.labels.get(id);
      items.set(id, {
        id,
        url: itemUrl(id),
        label: label ?? id,
        description: 'mock item',
        aliases: [],
        instanceOf:
          label !== undefined && looksLikePersonName(label) ? ['Q5'] : [],
      });
    }
    return items;
  }

  assertReady(): void {}

  private remember(id: string, label: string): void {
    this.labels.delete(id); // re-inserted last: the most recent
    this.labels.set(id, label);
    if (this.labels.size > MOCK_REMEMBERED_IDS) {
      const oldest = this.labels.keys().next().value;
      if (oldest !== undefined) this.labels.delete(oldest);
    }
  }
}
