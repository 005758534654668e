import type { WikidataItem } from '../wikidata/wikidata-client.js';
import { isItemId } from '../verification/wikidata-enrichment.js';
import type { NamedEntry, SeverityContent } from './severity-content.js';

/** One entry as the model reads it: its name, and Wikidata's label and description when known. */
function line(entry: NamedEntry, items: ReadonlyMap<string, WikidataItem>) {
  const item = isItemId(entry.wikidataId)
    ? items.get(entry.wikidataId)
    : undefined;
  const name = entry.name.replace(/\s+/g, ' ').trim();
  if (!item) return `- ${name}`;
  const description = item.description ? ` — ${item.description}` : '';
  return `- ${name} (Wikidata ${item.id}: ${item.label}${description})`;
}

const section = (
  title: string,
  entries: readonly NamedEntry[],
  items: ReadonlyMap<string, WikidataItem>,
) =>
  entries.length === 0
    ? `${title}: (none)`
    : `${title}:\n${entries.map((entry) => line(entry, items)).join('\n')}`;

/** Every Wikidata id the content names, for one lookup. */
export const idsOf = (content: SeverityContent): unknown[] =>
  [content.impactArea, ...content.topics, ...content.personalities].map(
    (entry) => entry?.wikidataId,
  );

/**
 * The user message of a severity task: the text, then what the other
 * verification tasks found, with Wikidata's words for each where it has
 * them (names alone otherwise).
 */
export function severityMessage(
  content: SeverityContent,
  items: ReadonlyMap<string, WikidataItem>,
): string {
  return [
    `Text:\n${content.text}`,
    section(
      'Impact area',
      content.impactArea ? [content.impactArea] : [],
      items,
    ),
    section('Topics', content.topics, items),
    section('People', content.personalities, items),
  ].join('\n\n');
}
