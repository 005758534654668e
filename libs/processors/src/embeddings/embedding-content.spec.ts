import { FAILURE_CODE } from '../failure-codes.js';
import { checkEmbeddingContent } from './embedding-content.js';

const ok = (content: unknown) => {
  const check = checkEmbeddingContent(content);
  if (!check.ok) throw new Error(`unexpected ${check.code}: ${check.message}`);
  return check.input;
};

describe('checkEmbeddingContent', () => {
  it('takes a bare string as the text, with the default model', () => {
    expect(ok('Text to embed')).toEqual({
      text: 'Text to embed',
      model: 'text-embedding-3-small',
      dimensions: undefined,
      tokens: 3,
    });
  });

  it('takes the object form, and defaults the model when it is absent', () => {
    expect(
      ok({ text: 'hello', model: 'text-embedding-3-large', dimensions: 256 }),
    ).toMatchObject({ model: 'text-embedding-3-large', dimensions: 256 });
    expect(ok({ text: 'hello' }).model).toBe('text-embedding-3-small');
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
  ])('refuses %j as invalid_content', (content, message) => {
    expect(checkEmbeddingContent(content)).toEqual({
      ok: false,
      code: FAILURE_CODE.invalidContent,
      message,
    });
  });

  it('names every invalid field at once', () => {
    expect(checkEmbeddingContent({ model: 3, dimensions: -1 })).toMatchObject({
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
  ])('refuses %j as unsupported_dimensions', (content, message) => {
    expect(checkEmbeddingContent(content)).toEqual({
      ok: false,
      code: FAILURE_CODE.unsupportedDimensions,
      message,
    });
  });

  it('passes dimensions through for models only a compatible server knows', () => {
    expect(
      ok({ text: 'x', model: 'nomic-embed-text', dimensions: 64 }),
    ).toMatchObject({ model: 'nomic-embed-text', dimensions: 64 });
  });

  it('counts tokens with the real tokenizer and refuses more than 8,192 as text_too_long', () => {
    // " a" is one cl100k_base token; "a" starts the text.
    const atLimit = 'a' + ' a'.repeat(8_191);
    expect(ok(atLimit).tokens).toBe(8_192);
    expect(checkEmbeddingContent(`${atLimit} a`)).toEqual({
      ok: false,
      code: FAILURE_CODE.textTooLong,
      message:
        'the text is 8193 tokens long; text-embedding-3-small accepts at most 8192',
    });
  });

  it('counts special-token markers as plain text instead of refusing them', () => {
    expect(ok('before <|endoftext|> after').tokens).toBeGreaterThan(3);
  });
});
