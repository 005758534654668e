import { Readable } from 'node:stream';
import {
  type ArrayElement,
  JsonArraySplitter,
  MalformedArrayError,
  readJsonArray,
  topLevelId,
} from './json-array-splitter.js';

/** Splits the body into chunks of `size` bytes and collects every element. */
function split(body: string, size = 1, maxElementBytes = 1 << 20) {
  const splitter = new JsonArraySplitter(maxElementBytes);
  const bytes = Buffer.from(body);
  const elements: ArrayElement[] = [];
  for (let offset = 0; offset < bytes.length; offset += size)
    elements.push(...splitter.push(bytes.subarray(offset, offset + size)));
  splitter.end();
  return elements;
}

const values = (body: string, size?: number) =>
  split(body, size).map((element) =>
    element.kind === 'value' ? element.value : element,
  );

describe('JsonArraySplitter', () => {
  const tricky = [
    { _id: 'a', text: 'brackets ] } [ { and "quotes" and \\ backslashes' },
    { nested: { deep: [1, [2, { x: '}' }]] }, unicode: 'Zoë – 日本語 🎉' },
    'a bare string, with a comma',
    42,
    -1.5e3,
    true,
    null,
    [],
    {},
    { escaped: '\\"', end: '\\' },
  ];
  const body = JSON.stringify(tricky, null, 2);

  it.each([1, 2, 3, 7, 64, body.length])(
    'yields every element whatever the chunk size (%i bytes)',
    (size) => {
      expect(values(body, size)).toEqual(tricky);
    },
  );

  it('reads compact bodies, empty arrays and a byte order mark', () => {
    expect(values(JSON.stringify(tricky))).toEqual(tricky);
    expect(values('[]')).toEqual([]);
    expect(values(' \n[ \t]\n')).toEqual([]);
    expect(values('\ufeff[1,2]')).toEqual([1, 2]);
  });

  it.each([
    ['{"tasks": []}', 'not a JSON array (it starts with "{")'],
    ['"text"', 'not a JSON array (it starts with """)'],
    ['<html>', 'not a JSON array (it starts with "<")'],
    ['', 'empty'],
    ['[{"a": 1}', 'ended before the JSON array was closed'],
    ['[{"a": 1},]', 'unexpected "]"'],
    ['[1 2]', 'unexpected "2"'],
    ['[{"a": nope}]', 'not valid JSON'],
    ['[1] [2]', 'after the end of the array'],
  ])('refuses %j', (text, problem) => {
    expect(() => split(text)).toThrow(MalformedArrayError);
    expect(() => split(text)).toThrow(problem);
  });

  it('skips an element over the cap, keeping its top-level _id when found', () => {
    const big = { _id: 'big-1', content: { text: 'x'.repeat(500) } };
    const bigWithoutId = { content: { _id: 'nested', text: 'y'.repeat(500) } };
    const elements = split(
      JSON.stringify([{ _id: 'small' }, big, bigWithoutId, 7]),
      13,
      100,
    );
    expect(elements).toEqual([
      { kind: 'value', value: { _id: 'small' } },
      { kind: 'oversize', bytes: JSON.stringify(big).length, id: 'big-1' },
      { kind: 'oversize', bytes: JSON.stringify(bigWithoutId).length },
      { kind: 'value', value: 7 },
    ]);
  });
});

describe('topLevelId', () => {
  it('finds _id at the top level only', () => {
    expect(topLevelId('{"_id": "abc", "x": 1}')).toBe('abc');
    expect(topLevelId('{"content": {"_id": "inner"}, "_id" : "outer"')).toBe(
      'outer',
    );
    expect(topLevelId('{"text": "\\"_id\\": \\"fake\\"", "_id":"real"')).toBe(
      'real',
    );
    expect(topLevelId('{"content": {"_id": "inner"}')).toBeUndefined();
    expect(topLevelId('{"_id": "cut off')).toBeUndefined();
    expect(topLevelId('{"_id": 12}')).toBeUndefined();
  });
});

describe('readJsonArray', () => {
  const page = JSON.stringify(
    Array.from({ length: 100 }, (_, index) => ({ index })),
  );
  const chunked = (text: string, size: number) =>
    Readable.from(
      Array.from({ length: Math.ceil(text.length / size) }, (_, index) =>
        Buffer.from(text.slice(index * size, (index + 1) * size)),
      ),
    );
  const limits = {
    maxElements: 1000,
    maxBytes: 1 << 20,
    maxElementBytes: 1000,
  };

  it('stops after maxElements and destroys the stream', async () => {
    const body = chunked(page, 64);
    const read = await readJsonArray(body, { ...limits, maxElements: 3 });
    expect(read.end).toBe('enough');
    expect(read.elements).toHaveLength(3);
    expect(read.bytes).toBeLessThan(128);
    expect(body.destroyed).toBe(true);
  });

  it('ends the page at maxBytes with the elements complete by then', async () => {
    const read = await readJsonArray(chunked(page, 64), {
      ...limits,
      maxBytes: 100,
    });
    expect(read.end).toBe('byte_cap');
    expect(read.bytes).toBe(100);
    // `[{"index":0},{"index":1},...`: 12 bytes per element after the bracket.
    expect(read.elements).toHaveLength(8);
  });

  it('reads a complete answer to its end', async () => {
    const read = await readJsonArray(chunked(page, 7), limits);
    expect(read.end).toBe('complete');
    expect(read.elements).toHaveLength(100);
  });
});
