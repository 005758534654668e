import { SampleTexts } from './sample-texts.js';

describe('SampleTexts', () => {
  it('gives the same texts for the same seed', () => {
    const first = new SampleTexts(7);
    const second = new SampleTexts(7);
    const texts = Array.from({ length: 50 }, () => first.next());
    expect(Array.from({ length: 50 }, () => second.next())).toEqual(texts);
    expect(new SampleTexts(8).next()).not.toBe(texts[0]);
  });

  it('never repeats a text, and varies in length and kind', () => {
    const generator = new SampleTexts();
    const texts = Array.from({ length: 20_000 }, () => generator.next());
    expect(new Set(texts).size).toBe(texts.length);
    const lengths = texts.map((text) => text.length);
    expect(Math.min(...lengths)).toBeGreaterThan(40);
    expect(Math.max(...lengths)).toBeGreaterThan(400);
    expect(
      new Set(texts.map((text) => text.split(' ')[0])).size,
    ).toBeGreaterThan(5);
  });
});
