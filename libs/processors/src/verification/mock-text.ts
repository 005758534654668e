import { createHash } from 'node:crypto';

/**
 * Helpers of mock mode's answers: deterministic functions of the text, so
 * the demo and tests get the same result for the same task every time.
 */

const NAME_WORD = String.raw`\p{Lu}[\p{L}'’-]+`;
const LINK = String.raw`(?:d[aeo]s?|e)`;
const NAME = new RegExp(
  String.raw`${NAME_WORD}(?:\s+(?:${LINK}\s+)?${NAME_WORD})+`,
  'gu',
);

/** Runs of two or more capitalised words ("Luiz Inácio Lula da Silva"), first seen first, at most `max`. */
export function namesIn(text: string, max: number): string[] {
  const names = new Set<string>();
  for (const match of text.slice(0, 20_000).matchAll(NAME)) {
    names.add(match[0]);
    if (names.size === max) break;
  }
  return [...names];
}

/** One of `choices`, always the same for the same text. */
export function pickFor<T>(text: string, choices: readonly T[]): T {
  const digest = createHash('sha256').update(text).digest();
  return choices[digest.readUInt32BE(0) % choices.length];
}

/** The sentence of `text` around `phrase`, for a mock's context; at most 200 characters. */
export function around(text: string, phrase: string): string {
  const at = Math.max(0, text.indexOf(phrase));
  return text.slice(Math.max(0, at - 80), at + phrase.length + 80).trim();
}
