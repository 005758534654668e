/**
 * What the chat stand-in reads from a conversation: its text, the phrases a
 * model would pick out of it, and the markers a test writes into a task's
 * text to make that one answer misbehave. Everything is a pure function of
 * the messages, so the same conversation always gets the same answer.
 */

/** A marker in the text asks for one misbehaviour (docs/sandbox.md, "Markers"). */
export type Marker =
  | { kind: 'refuse' | 'truncate' | 'off_schema' }
  | { kind: 'error'; status: number };

export interface ChatMessage {
  role: string;
  content?: unknown;
}

/** The text of a message's content: a string, or the text parts of an array of parts. */
export function messageText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((part: unknown) =>
      typeof part === 'object' &&
      part !== null &&
      typeof (part as { text?: unknown }).text === 'string'
        ? (part as { text: string }).text
        : '',
    )
    .filter(Boolean)
    .join('\n');
}

/** FNV-1a, 32 bits: a stable hash for picking among choices. */
export function hashText(text: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i += 1) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193) >>> 0;
  }
  return hash;
}

/** OpenAI-like token estimate: a token is about four characters. */
export const estimateTokens = (characters: number) => Math.ceil(characters / 4);

const MARKER = /\[\[(refuse|truncate|off_schema|error:([45]\d\d))\]\]/;

/**
 * Words that may link the capitalised words of one name: "Luiz Inácio Lula
 * da Silva". Not "e"/"y": "Lula e Bolsonaro" is two people.
 */
const LINKS = new Set([
  'da',
  'de',
  'do',
  'das',
  'dos',
  'di',
  'del',
  'du',
  'van',
  'von',
  'der',
]);

/** Capitalised only because they open a sentence: never a phrase, nor its start. */
const STARTERS = new Set(
  (
    'o a os as um uma uns umas em no na nos nas ao aos à às de do da dos das ' +
    'para por pelo pela pelos pelas com sem segundo conforme se mas e ou que ' +
    'ele ela eles elas este esta esse essa isso isto também já não sim hoje ' +
    'ontem amanhã após durante entre sobre até quando como onde the an in on ' +
    'at of for to by with and or but if it this that according is are was é'
  ).split(' '),
);

const WORD = /[\p{L}\p{M}][\p{L}\p{M}\p{N}'’-]*/gu;
const CAPITALISED = /^\p{Lu}/u;

interface Word {
  text: string;
  start: number;
  end: number;
}

/**
 * Runs of capitalised words, in order of appearance and without repeats:
 * what a model would call the names of a text. Lower-case linking words are
 * kept between capitalised ones; punctuation or a line break ends a run; an
 * article or preposition that only opens a sentence is dropped.
 */
export function candidatePhrases(text: string): string[] {
  const phrases: string[] = [];
  const seen = new Set<string>();
  let run: Word[] = [];
  let links: Word[] = [];
  const flush = () => {
    let words = run;
    while (
      words.length &&
      (STARTERS.has(words[0].text.toLowerCase()) ||
        !CAPITALISED.test(words[0].text))
    )
      words = words.slice(1);
    if (words.length && words[words.length - 1].end - words[0].start > 1) {
      const phrase = text.slice(words[0].start, words[words.length - 1].end);
      if (!seen.has(phrase.toLowerCase())) {
        seen.add(phrase.toLowerCase());
        phrases.push(phrase);
      }
    }
    run = [];
    links = [];
  };
  let previousEnd = -1;
  for (const match of text.matchAll(WORD)) {
    const word = {
      text: match[0],
      start: match.index,
      end: match.index + match[0].length,
    };
    const joined =
      previousEnd >= 0 && /^[ \t]+$/.test(text.slice(previousEnd, word.start));
    previousEnd = word.end;
    if (!joined) flush();
    if (CAPITALISED.test(word.text)) {
      run.push(...links, word);
      links = [];
    } else if (run.length && LINKS.has(word.text)) links.push(word);
    else flush();
  }
  flush();
  return phrases;
}

/** A text with no capitalised phrase still gives names: its words, three at a time. */
function wordGroups(text: string): string[] {
  const words = [...text.matchAll(WORD)].map((match) => match[0]);
  const groups: string[] = [];
  for (let i = 0; i < words.length && groups.length < 12; i += 3)
    groups.push(words.slice(i, i + 3).join(' '));
  return groups;
}

const EXCERPT_LENGTH = 160;

function shorten(text: string, length: number): string {
  if (text.length <= length) return text;
  const cut = text.slice(0, length);
  const space = cut.lastIndexOf(' ');
  return space > length / 2 ? cut.slice(0, space) : cut;
}

/** One chat request's messages, read once. */
export class Conversation {
  /** Every message's text, one after the other. */
  readonly text: string;
  /** The last user message's text (where a task's text is), or the whole text without one. */
  readonly focus: string;
  readonly promptTokens: number;
  readonly marker: Marker | undefined;
  /** The names of the focus, or its first words, three at a time, when it has none. */
  readonly candidates: readonly string[];

  constructor(messages: readonly ChatMessage[]) {
    const texts = messages.map((message) => messageText(message.content));
    this.text = texts.join('\n');
    const lastUser = messages
      .map((message, i) => ({ role: message.role, text: texts[i] }))
      .filter((message) => message.role === 'user' && message.text.trim())
      .pop();
    this.focus = (lastUser?.text ?? this.text).trim();
    this.promptTokens = estimateTokens(texts.reduce((n, t) => n + t.length, 0));
    const marker = MARKER.exec(this.text);
    this.marker = !marker
      ? undefined
      : marker[2]
        ? { kind: 'error', status: Number(marker[2]) }
        : { kind: marker[1] as 'refuse' | 'truncate' | 'off_schema' };
    // Names come from the focus only: a system prompt's capitals are not the task's names.
    const phrases = candidatePhrases(this.focus);
    this.candidates = phrases.length ? phrases : wordGroups(this.focus);
  }

  /** A stable number for a choice made at `path` of the answer. */
  hash(path: string): number {
    return hashText(`${this.text}\u0000${path}`);
  }

  /** The sentence of the focus that mentions `phrase`, else its first sentence; at most 160 characters. */
  excerpt(phrase?: string): string {
    const sentences = this.focus
      .split(/(?<=[.!?])\s+|\n+/)
      .map((sentence) => sentence.trim())
      .filter(Boolean);
    const sentence =
      (phrase && sentences.find((s) => s.includes(phrase))) ??
      sentences[0] ??
      'No text was given.';
    return shorten(sentence, EXCERPT_LENGTH);
  }

  /** `pt` for a Portuguese text, `en` otherwise: a cheap guess from common words and letters. */
  language(): 'pt' | 'en' {
    const text = ` ${this.focus.toLowerCase()} `;
    const portuguese = [
      ' não ',
      ' que ',
      ' de ',
      ' da ',
      ' do ',
      ' em ',
      'ção',
      'ões',
      ' é ',
      ' uma ',
    ].filter((hint) => text.includes(hint)).length;
    return portuguese >= 2 ? 'pt' : 'en';
  }
}
