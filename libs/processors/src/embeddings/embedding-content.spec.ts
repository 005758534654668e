import { FAILURE_CODE } from '../failure-codes.js';
import { checkEmbeddingContent } from './embedding-content.js';
import { MAX_INPUT_CHARACTERS, countTokensWithin } from './embedding-models.js';
import type { TokenCount } from './token-count-pool.js';
import { TokenCounter } from './token-counter.js';

/** Counts at once with the real tokenizer, and remembers the lengths it was asked about. */
class InlineTokenCounter extends TokenCounter {
  readonly counted: number[] = [];

  countWithin(text: string, limit: number): Promise<TokenCount> {
    this.counted.push(text.length);
    const tokens = countTokensWithin(text, limit);
    return Promise.resolve(
      tokens === false ? { kind: 'over_limit' } : { kind: 'counted', tokens },
    );
  }
}

const check = (
  content: unknown,
  counter: TokenCounter = new InlineTokenCounter(),
) => checkEmbeddingContent(content, counter);

const ok = async (content: unknown) => {
  const checked = await check(content);
  if (checked.kind === 'invalid')
    throw new Error(`unexpected ${checked.code}: ${checked.message}`);
  return checked.input;
};

/** `{a: {a: ... {}}}`, `depth` levels: more than any recursive walk survives. */
const nested = (depth: number): unknown =>
  JSON.parse(`${'{"a":'.repeat(depth)}{}${'}'.repeat(depth)}`);

describe('checkEmbeddingContent', () => {
  it('takes a bare string as the text, with the default model', async () => {
    expect(await ok('Text to embed')).toEqual({
      text: 'Text to embed',
      model: 'text-embedding-3-small',
      dimensions: undefined,
      tokens: 3,
    });
  });

  it('takes the object form, and defaults the model when it is absent', async () => {
    expect(
      await ok({
        text: 'hello',
        model: 'text-embedding-3-large',
        dimensions: 256,
      }),
    ).toMatchObject({ model: 'text-embedding-3-large', dimensions: 256 });
    expect((await ok({ text: 'hello' })).model).toBe('text-embedding-3-small');
  });

  it.each([
    [
      undefined,
      'content must be an object {text, model, dimensions?} or a string',
    ],
    [['a'], 'content must be an object {text, model, dimensions?} or a string'],
    [{}, 'content.text is required'],
    [null, 'content must be an object {text, model, dimensions?} or a string'],
    [{ text: 42 }, 'content.text must be a string'],
    [{ text: { nested: 'x' } }, 'content.text must be a string'],
    ['', 'content.text is empty or only whitespace'],
    [{ text: ' \n\t ' }, 'content.text is empty or only whitespace'],
    [{ text: 'x', model: '' }, 'content.model must not be empty'],
    [{ text: 'x', model: 7 }, 'content.model must be a string'],
    [
      { text: 'x', dimensions: 0 },
      'content.dimensions must be a positive integer',
    ],
    [
      { text: 'x', dimensions: 1.5 },
      'content.dimensions must be a positive integer',
    ],
    [
      { text: 'x', dimensions: '256' },
      'content.dimensions must be a positive integer',
    ],
  ])('refuses %j as invalid_content', async (content, message) => {
    expect(await check(content)).toEqual({
      kind: 'invalid',
      code: FAILURE_CODE.invalidContent,
      message,
    });
  });

  it('names every invalid field at once', async () => {
    expect(await check({ model: 3, dimensions: -1 })).toMatchObject({
      message:
        'content.text is required; content.model must be a string; content.dimensions must be a positive integer',
    });
  });

  it.each([
    [
      { text: 'x', model: 'text-embedding-ada-002', dimensions: 256 },
      'text-embedding-ada-002 does not accept dimensions (only text-embedding-3 models can shorten their vectors)',
    ],
    [
      { text: 'x', model: 'text-embedding-3-small', dimensions: 2048 },
      'text-embedding-3-small answers at most 1536 dimensions (got 2048)',
    ],
  ])('refuses %j as unsupported_dimensions', async (content, message) => {
    expect(await check(content)).toEqual({
      kind: 'invalid',
      code: FAILURE_CODE.unsupportedDimensions,
      message,
    });
  });

  it('passes dimensions through for models only a compatible server knows', async () => {
    expect(
      await ok({ text: 'x', model: 'nomic-embed-text', dimensions: 64 }),
    ).toMatchObject({ model: 'nomic-embed-text', dimensions: 64 });
  });

  it('counts tokens with the real tokenizer and refuses more than 8,192 as text_too_long', async () => {
    // " a" is one cl100k_base token; "a" starts the text.
    const atLimit = 'a' + ' a'.repeat(8_191);
    expect((await ok(atLimit)).tokens).toBe(8_192);
    expect(await check(`${atLimit} a`)).toEqual({
      kind: 'invalid',
      code: FAILURE_CODE.textTooLong,
      message:
        'the text is more than 8192 tokens long; text-embedding-3-small accepts at most 8192 tokens',
    });
  });

  it('refuses a text longer than any that fits in 8,192 tokens by its length, without counting', async () => {
    const counter = new InlineTokenCounter();
    const atBound = 'word '
      .repeat(MAX_INPUT_CHARACTERS / 4)
      .slice(0, MAX_INPUT_CHARACTERS);
    expect(await check(`${atBound}!`, counter)).toEqual({
      kind: 'invalid',
      code: FAILURE_CODE.textTooLong,
      message:
        'the text is 1048577 characters long; no text over 1048576 characters fits in 8192 tokens, and text-embedding-3-small accepts at most 8192 tokens',
    });
    expect(counter.counted).toEqual([]);
    // At the bound a text may still fit (8,192 runs of 128 spaces): it is counted.
    await check(atBound, counter);
    expect(counter.counted).toEqual([MAX_INPUT_CHARACTERS]);
  });

  it('refuses a text whose tokens could not be counted in time as text_too_long', async () => {
    const tooSlow = new (class extends TokenCounter {
      countWithin(): Promise<TokenCount> {
        return Promise.resolve({ kind: 'too_slow', timeoutMs: 5_000 });
      }
    })();
    expect(await check('a'.repeat(150_000), tooSlow)).toEqual({
      kind: 'invalid',
      code: FAILURE_CODE.textTooLong,
      message:
        'the tokens of this 150000-character text could not be counted within 5 s: it holds runs without a space far longer than real text has; text-embedding-3-small accepts at most 8192 tokens',
    });
  });

  it('counts special-token markers as plain text instead of refusing them', async () => {
    expect((await ok('before <|endoftext|> after')).tokens).toBeGreaterThan(3);
  });

  describe('content nested 20,000 levels deep', () => {
    it('is read without visiting the fields no processor reads', async () => {
      expect(
        await ok({ text: 'beside a deep field', extra: nested(20_000) }),
      ).toMatchObject({ text: 'beside a deep field' });
    });

    it.each([
      ['text', 'content.text must be a string'],
      ['model', 'content.model must be a string'],
      ['dimensions', 'content.dimensions must be a positive integer'],
    ])('in %s is invalid_content, named as such', async (field, message) => {
      expect(await check({ text: 'x', [field]: nested(20_000) })).toMatchObject(
        { kind: 'invalid', code: FAILURE_CODE.invalidContent, message },
      );
    });
  });

  it('reads a `__proto__` key as data, never as the prototype', async () => {
    const content: unknown = JSON.parse('{"__proto__": {"text": "hidden"}}');
    expect(await check(content)).toMatchObject({
      kind: 'invalid',
      message: 'content.text is required',
    });
  });
});
