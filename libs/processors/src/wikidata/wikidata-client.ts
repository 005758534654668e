import { UpstreamError } from '@app/resilience';

/** One search hit of `wbsearchentities`. */
export interface WikidataCandidate {
  /** `Q…` */
  id: string;
  label: string;
  description?: string;
}

/** One item of `wbgetentities`, in the asked language (English when it has none). */
export interface WikidataItem {
  /** `Q…` */
  id: string;
  /** `https://www.wikidata.org/wiki/Q…` */
  url: string;
  label: string;
  description: string;
  aliases: string[];
  /** The ids of its P31 ("instance of") values: `Q5` for a human. */
  instanceOf: string[];
}

/**
 * Wikidata could not answer now (down, lagged past `maxlag`, timing out,
 * refusing our User-Agent, its breaker open): the task is released, never
 * given a result without its enrichment.
 */
export class WikidataUnavailableError extends UpstreamError {
  constructor(message: string) {
    super(message);
    this.name = 'WikidataUnavailableError';
  }

  get transient(): boolean {
    return true;
  }
}

/**
 * Wikidata's action API, cached. "No match" is an empty answer, never an
 * error.
 */
export abstract class WikidataClient {
  /** For the start-up log: which Wikidata, never a secret. */
  abstract readonly description: string;

  /**
   * Items whose label or alias starts like `term`, best first
   * (`wbsearchentities`, `type=item`).
   * @throws WikidataUnavailableError
   */
  abstract search(
    term: string,
    language: string,
    limit: number,
  ): Promise<WikidataCandidate[]>;

  /**
   * The items of `ids` (at most 50), by id; an id Wikidata does not have is
   * left out (`wbgetentities`).
   * @throws WikidataUnavailableError
   */
  abstract items(
    ids: readonly string[],
    language: string,
  ): Promise<Map<string, WikidataItem>>;

  /** Readiness: throws an Error saying why Wikidata cannot be used now. */
  abstract assertReady(): void;
}
