/** Exactly the characters of JavaScript's `\s`, the tokenizer's idea of a space. */
const isSpace = (code: number): boolean =>
  code === 0x20 ||
  (code >= 0x09 && code <= 0x0d) ||
  code === 0xa0 ||
  code === 0x1680 ||
  (code >= 0x2000 && code <= 0x200a) ||
  code === 0x2028 ||
  code === 0x2029 ||
  code === 0x202f ||
  code === 0x205f ||
  code === 0x3000 ||
  code === 0xfeff;

/**
 * Whether `text` has more than `max` characters in a row that are all
 * spaces or all not. cl100k_base splits a text at the edges of such runs
 * (a piece spans at most one run of each kind and a character more), and
 * merges each piece in time quadratic in its length: short runs mean cheap
 * pieces, and small entries in the tokenizer's cache of merged pieces.
 */
export function hasRunLongerThan(text: string, max: number): boolean {
  let run = 0;
  let inSpaces = false;
  for (let index = 0; index < text.length; index++) {
    const space = isSpace(text.charCodeAt(index));
    run = space === inSpaces ? run + 1 : 1;
    inSpaces = space;
    if (run > max) return true;
  }
  return false;
}
