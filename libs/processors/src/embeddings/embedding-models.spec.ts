import cl100kVocabulary from 'gpt-tokenizer/bpeRanks/cl100k_base';
import { isWithinTokenLimit } from 'gpt-tokenizer/encoding/cl100k_base';
import {
  MAX_BYTES_PER_TOKEN,
  MAX_INPUT_CHARACTERS,
  countTokens,
  countTokensWithin,
} from './embedding-models.js';

const PLAIN = { disallowedSpecial: new Set<string>() };

describe('token counting', () => {
  const texts = [
    'Text to embed',
    '混合された日本語のテキストと English words',
    '🙂🙃 emoji, pairs of UTF-16 units 👩‍👩‍👧',
    'a marker as plain text: <|endoftext|> and <|fim_prefix|>',
    '   leading and trailing spaces   \n\t',
  ];

  it.each(texts)(
    'counts %j as the tokenizer does, whole or with a limit',
    (text) => {
      const expected = isWithinTokenLimit(text, Infinity, PLAIN);
      expect(countTokens(text)).toBe(expected);
      // Short enough to be counted whole, and long enough to stop early.
      expect(countTokensWithin(text, text.length * 3)).toBe(expected);
      expect(countTokensWithin(text, text.length * 3 - 1)).toBe(
        isWithinTokenLimit(text, text.length * 3 - 1, PLAIN),
      );
    },
  );

  it('answers false past the limit, and the count up to it', () => {
    const text = '你好'.repeat(3000); // up to three bytes, and tokens, a unit
    const tokens = countTokens(text);
    expect(countTokensWithin(text, tokens)).toBe(tokens);
    expect(countTokensWithin(text, tokens - 1)).toBe(false);
  });
});

describe('the length bound', () => {
  it('rests on the longest cl100k_base token: 128 bytes', () => {
    const utf8 = new TextEncoder();
    const lengths = cl100kVocabulary.map((token) =>
      typeof token === 'string' ? utf8.encode(token).length : token.length,
    );
    expect(Math.max(...lengths)).toBe(MAX_BYTES_PER_TOKEN);
    expect(MAX_INPUT_CHARACTERS).toBe(1_048_576);
  });

  it('is nearly reached: a run of spaces between words is 128 to a token', () => {
    // "x", 128 spaces, " x": the last space starts the next word.
    expect(countTokens(`x${' '.repeat(129)}x`)).toBe(3);
  });
});
