/** Longest name kept from a model's answer: a topic, an area or a person's name. */
const MAX_PHRASE_LENGTH = 200;

/**
 * A model's phrase as it is reported and looked up: spaces collapsed,
 * trimmed, bounded. Models may pad, repeat or ramble; the API and Wikidata
 * get one clean line.
 */
export const cleanPhrase = (phrase: string): string =>
  phrase.replace(/\s+/g, ' ').trim().slice(0, MAX_PHRASE_LENGTH);

/** Each phrase once (compared without case), blanks dropped, first seen first. */
export function distinctBy<T>(
  entries: readonly T[],
  phraseOf: (entry: T) => string,
): T[] {
  const seen = new Set<string>();
  return entries.filter((entry) => {
    const key = phraseOf(entry).toLocaleLowerCase('pt');
    if (key === '' || seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}
