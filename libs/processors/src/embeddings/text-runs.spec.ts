import { hasRunLongerThan } from './text-runs.js';

/** The reference: the longest match of `\s+` or `\S+`. */
const longestRun = (text: string) =>
  Math.max(0, ...(text.match(/\s+|\S+/g) ?? []).map((run) => run.length));

describe('hasRunLongerThan', () => {
  it('knows the spaces of `\\s`, every one of them', () => {
    const misread: string[] = [];
    for (let code = 0; code <= 0xffff; code++) {
      const char = String.fromCharCode(code);
      // Two of a kind between two of the other: a longest run of exactly 2.
      const text = /\s/.test(char) ? `a${char}${char}a` : ` ${char}${char} `;
      if (!hasRunLongerThan(text, 1) || hasRunLongerThan(text, 2))
        misread.push(code.toString(16));
    }
    expect(misread).toEqual([]);
  });

  it.each([
    '',
    'Text to embed',
    'a\u3000\u3000\u3000b',
    '   leading and trailing   ',
    'https://example.com/a/very/long/path?with=a&query=string and words',
    '混合された日本語のテキストと English words',
    'tabs\t\t\tand\n\n\nnewlines',
  ])('measures the runs of %j as the regular expression does', (text) => {
    const longest = longestRun(text);
    expect(hasRunLongerThan(text, longest)).toBe(false);
    if (longest > 0) expect(hasRunLongerThan(text, longest - 1)).toBe(true);
  });
});
