import { candidatePhrases } from '../chat/conversation.js';
import { searchItems } from '../wikidata/item-search.js';
import { HUMAN } from '../wikidata/wikidata-items.js';
import { VerificationTexts } from './verification-texts.js';

describe('VerificationTexts', () => {
  it('gives the same claims for the same seed, never the same text twice', () => {
    const first = new VerificationTexts(3);
    const second = new VerificationTexts(3);
    const texts = Array.from({ length: 500 }, () => first.next().text);
    expect(Array.from({ length: 500 }, () => second.next().text)).toEqual(
      texts,
    );
    expect(new Set(texts).size).toBe(texts.length);
  });

  it('names its area first, then a person, and every name it gives is an item of the stand-in', () => {
    const generator = new VerificationTexts();
    for (let i = 0; i < 200; i += 1) {
      const sample = generator.next();
      const phrases = candidatePhrases(sample.text);
      const first = searchItems(phrases[0], 'pt')[0];
      expect(first?.item.labels.pt.toLowerCase()).toBe(
        sample.area.labels.pt.toLowerCase(),
      );
      // The chat stand-in's first three names include a human the search finds.
      const humans = phrases
        .slice(0, 3)
        .flatMap((phrase) => searchItems(phrase, 'pt'))
        .filter((match) => match.item.instanceOf.includes(HUMAN))
        .map((match) => match.item.id);
      expect(humans).toContain(sample.people[0].id);
      for (const topic of sample.topics)
        expect(sample.text).toContain(topic.labels.pt);
    }
  });
});
