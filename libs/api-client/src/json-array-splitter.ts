/** One top-level element of a JSON array. */
export type ArrayElement =
  | { kind: 'value'; value: unknown }
  /** Larger than the element cap: skipped unparsed; `id` when its first bytes held a top-level `_id`. */
  | { kind: 'oversize'; bytes: number; id?: string };

/** The body is not a JSON array, or not well-formed JSON. */
export class MalformedArrayError extends Error {
  override name = 'MalformedArrayError';
}

type Phase = 'start' | 'first' | 'next' | 'after' | 'element' | 'done';

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const BOM = [0xef, 0xbb, 0xbf];

const isSpace = (byte: number) =>
  byte === 0x20 || byte === 0x0a || byte === 0x0d || byte === 0x09;

const describe = (byte: number) =>
  byte >= 0x20 && byte < 0x7f
    ? `"${String.fromCharCode(byte)}"`
    : `byte ${byte}`;

/**
 * Splits the bytes of one JSON array into its top-level elements as they
 * arrive, so that a reader can stop after the elements it needs without
 * holding the rest of the body. Tracks only strings, escapes and nesting
 * depth; each element is parsed by `JSON.parse`. Structural characters are
 * ASCII, so scanning UTF-8 bytes is safe.
 */
export class JsonArraySplitter {
  private phase: Phase = 'start';
  private bomBytes = 0;
  private depth = 0;
  private inString = false;
  private escaped = false;
  private parts: Buffer[] = [];
  private kept = 0;
  private size = 0;

  /** `maxElementBytes`: larger elements come out as `oversize`, unparsed. */
  constructor(private readonly maxElementBytes: number) {}

  get complete(): boolean {
    return this.phase === 'done';
  }

  /** The elements completed by this chunk; stop iterating to stop scanning. */
  *push(chunk: Buffer): Generator<ArrayElement> {
    let from = this.phase === 'element' ? 0 : -1;
    let i = 0;
    while (i < chunk.length) {
      const byte = chunk[i];
      switch (this.phase) {
        case 'start':
          this.expectArrayStart(byte);
          i++;
          continue;
        case 'done':
          if (!isSpace(byte))
            throw new MalformedArrayError(
              `unexpected ${describe(byte)} after the end of the array`,
            );
          i++;
          continue;
        case 'first':
        case 'next':
        case 'after':
          if (isSpace(byte)) {
            i++;
            continue;
          }
          if (this.phase === 'after' || byte === CLOSE_BRACKET) {
            this.expectSeparator(byte);
            i++;
            continue;
          }
          this.phase = 'element';
          from = i;
          break;
      }
      // Inside an element: does this byte end it?
      const end = this.scan(byte);
      if (end === 'continue') {
        i++;
        continue;
      }
      const last = end === 'including' ? i + 1 : i;
      this.keep(chunk.subarray(from, last));
      from = -1;
      this.phase = 'after';
      yield this.finishElement();
      i = last;
    }
    if (this.phase === 'element' && from >= 0) this.keep(chunk.subarray(from));
  }

  /** @throws MalformedArrayError when the body ended before the array did. */
  end(): void {
    if (this.phase === 'start')
      throw new MalformedArrayError('the body is empty, not a JSON array');
    if (this.phase !== 'done')
      throw new MalformedArrayError(
        'the body ended before the JSON array was closed',
      );
  }

  private expectArrayStart(byte: number): void {
    if (this.bomBytes < BOM.length && byte === BOM[this.bomBytes]) {
      this.bomBytes++;
      return;
    }
    if (isSpace(byte)) return;
    if (byte !== OPEN_BRACKET)
      throw new MalformedArrayError(
        `the body is not a JSON array (it starts with ${describe(byte)})`,
      );
    this.phase = 'first';
  }

  private expectSeparator(byte: number): void {
    if (byte === CLOSE_BRACKET && this.phase !== 'next') this.phase = 'done';
    else if (byte === COMMA && this.phase === 'after') this.phase = 'next';
    else
      throw new MalformedArrayError(
        `unexpected ${describe(byte)} between the elements of the array`,
      );
  }

  private scan(byte: number): 'continue' | 'including' | 'before' {
    if (this.inString) {
      if (this.escaped) this.escaped = false;
      else if (byte === BACKSLASH) this.escaped = true;
      else if (byte === QUOTE) {
        this.inString = false;
        if (this.depth === 0) return 'including';
      }
      return 'continue';
    }
    if (byte === QUOTE) this.inString = true;
    else if (byte === OPEN_BRACE || byte === OPEN_BRACKET) this.depth++;
    else if (byte === CLOSE_BRACE || byte === CLOSE_BRACKET) {
      if (this.depth === 0) return 'before';
      this.depth--;
      if (this.depth === 0) return 'including';
    } else if (this.depth === 0 && (byte === COMMA || isSpace(byte)))
      return 'before';
    return 'continue';
  }

  private keep(bytes: Buffer): void {
    this.size += bytes.length;
    // An oversize element keeps only its first bytes, to find its `_id`.
    const room = this.maxElementBytes - this.kept;
    if (room <= 0) return;
    const kept = bytes.length > room ? bytes.subarray(0, room) : bytes;
    this.parts.push(Buffer.from(kept));
    this.kept += kept.length;
  }

  private finishElement(): ArrayElement {
    const text = Buffer.concat(this.parts).toString('utf8');
    const size = this.size;
    this.parts = [];
    this.kept = 0;
    this.size = 0;
    this.depth = 0;
    if (size > this.maxElementBytes) {
      const id = topLevelId(text);
      return id === undefined
        ? { kind: 'oversize', bytes: size }
        : { kind: 'oversize', bytes: size, id };
    }
    try {
      return { kind: 'value', value: JSON.parse(text) };
    } catch {
      throw new MalformedArrayError(
        `an element of the array is not valid JSON (it starts with ${JSON.stringify(text.slice(0, 40))})`,
      );
    }
  }
}

/**
 * The `_id` string of the object whose first bytes are `prefix`, when it
 * appears there at the top level (not inside `content`).
 */
export function topLevelId(prefix: string): string | undefined {
  const STRING = /"(?:[^"\\]|\\.)*"/y;
  const COLON = /\s*:\s*/y;
  let depth = 0;
  for (let i = 0; i < prefix.length; i++) {
    const char = prefix[i];
    if (char === '"') {
      STRING.lastIndex = i;
      const key = STRING.exec(prefix)?.[0];
      if (key === undefined) return undefined;
      i += key.length - 1;
      if (depth !== 1 || key !== '"_id"') continue;
      COLON.lastIndex = i + 1;
      if (!COLON.exec(prefix)) continue;
      STRING.lastIndex = COLON.lastIndex;
      const value = STRING.exec(prefix)?.[0];
      return value === undefined ? undefined : (JSON.parse(value) as string);
    }
    if (char === '{' || char === '[') depth++;
    else if (char === '}' || char === ']') depth--;
  }
  return undefined;
}

export interface ArrayReadLimits {
  /** Stop once this many elements are complete. */
  maxElements: number;
  /** Read at most this many bytes of the body. */
  maxBytes: number;
  /** Larger elements are skipped and reported `oversize`. */
  maxElementBytes: number;
}

export interface ArrayRead {
  elements: ArrayElement[];
  /** `enough`: `maxElements` reached; `byte_cap`: `maxBytes` reached first. */
  end: 'complete' | 'enough' | 'byte_cap';
  bytes: number;
}

/**
 * Reads the elements of a JSON array from a byte stream within the limits.
 * Leaving early ends the iteration, which destroys the stream: the rest of
 * the body is never transferred.
 * @throws MalformedArrayError
 */
export async function readJsonArray(
  body: AsyncIterable<Buffer | string>,
  limits: ArrayReadLimits,
): Promise<ArrayRead> {
  const splitter = new JsonArraySplitter(limits.maxElementBytes);
  const elements: ArrayElement[] = [];
  let bytes = 0;
  for await (const raw of body) {
    const chunk = typeof raw === 'string' ? Buffer.from(raw) : raw;
    const room = limits.maxBytes - bytes;
    const usable = chunk.length > room ? chunk.subarray(0, room) : chunk;
    bytes += usable.length;
    for (const element of splitter.push(usable)) {
      elements.push(element);
      if (elements.length >= limits.maxElements)
        return { elements, end: 'enough', bytes };
    }
    if (usable !== chunk)
      return {
        elements,
        end: splitter.complete ? 'complete' : 'byte_cap',
        bytes,
      };
  }
  splitter.end();
  return { elements, end: 'complete', bytes };
}
