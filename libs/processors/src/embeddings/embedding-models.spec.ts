import { isWithinTokenLimit } from 'gpt-tokenizer/encoding/cl100k_base';
import { countTokens, countTokensWithin } from './embedding-models.js';

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
