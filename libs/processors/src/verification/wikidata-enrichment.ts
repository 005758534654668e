import { Injectable } from '@nestjs/common';
import {
  WikidataClient,
  type WikidataItem,
} from '../wikidata/wikidata-client.js';

/** Wikidata's "human" class: the P31 ("instance of") value of every person. */
const HUMAN = 'Q5';
/** Matches looked at for one person's name: the first human among them wins. */
const PERSON_CANDIDATES = 5;
const ITEM_ID = /^Q[1-9]\d{0,11}$/;

/** Whether `value` is a Wikidata item id (`Q42`), as a task's content may claim. */
export const isItemId = (value: unknown): value is string =>
  typeof value === 'string' && ITEM_ID.test(value);

/**
 * What the verification task types ask of Wikidata, on top of the cached
 * client. "No match" is `null`; an outage throws WikidataUnavailableError.
 */
@Injectable()
export class WikidataEnrichment {
  constructor(private readonly wikidata: WikidataClient) {}

  /** The first of the best matches of `name` that is a human (P31 = Q5). */
  async findHuman(
    name: string,
    language: string,
  ): Promise<WikidataItem | null> {
    const candidates = await this.wikidata.search(
      name,
      language,
      PERSON_CANDIDATES,
    );
    if (candidates.length === 0) return null;
    const items = await this.wikidata.items(
      candidates.map(({ id }) => id),
      language,
    );
    for (const { id } of candidates) {
      const item = items.get(id);
      if (item?.instanceOf.includes(HUMAN)) return item;
    }
    return null;
  }

  /** The id of the best match of `name`. */
  async findItemId(name: string, language: string): Promise<string | null> {
    const [best] = await this.wikidata.search(name, language, 1);
    return best?.id ?? null;
  }

  /** The items of those `ids` that are item ids and exist, by id. */
  async describe(
    ids: readonly unknown[],
    language: string,
  ): Promise<Map<string, WikidataItem>> {
    const valid = [...new Set(ids.filter(isItemId))];
    return valid.length === 0
      ? new Map()
      : this.wikidata.items(valid, language);
  }
}
