import {
  IsDefined,
  IsInt,
  IsOptional,
  IsString,
  Matches,
} from 'class-validator';
import { validate } from './validate.js';

class Greeting {
  @IsDefined({ message: 'text is required' })
  @IsString({ message: 'text must be a string' })
  @Matches(/\S/, { message: 'text is empty' })
  text: string;

  @IsOptional()
  @IsInt({ message: 'count must be an integer' })
  count?: number;
}

describe('validate', () => {
  it('answers the typed value when every rule holds', () => {
    const checked = validate(Greeting, { text: 'hi', count: 2 });
    expect(checked).toEqual({
      kind: 'valid',
      value: Object.assign(new Greeting(), { text: 'hi', count: 2 }),
    });
  });

  it('gives one line per invalid field, the most basic complaint only', () => {
    expect(validate(Greeting, { count: 1.5 })).toEqual({
      kind: 'invalid',
      problems: ['text is required', 'count must be an integer'],
    });
    expect(validate(Greeting, { text: 7 })).toEqual({
      kind: 'invalid',
      problems: ['text must be a string'],
    });
    expect(validate(Greeting, { text: '  ' })).toEqual({
      kind: 'invalid',
      problems: ['text is empty'],
    });
  });

  it('reads only the declared fields, and runs no getter', () => {
    let read = false;
    const source = JSON.parse(
      '{"text": "hi", "__proto__": {"polluted": true}, "extra": 1}',
    );
    Object.defineProperty(source, 'count', {
      enumerable: true,
      get: () => {
        read = true;
        return 1;
      },
    });
    const checked = validate(Greeting, source);
    expect(checked.kind).toBe('valid');
    expect(read).toBe(false);
    if (checked.kind === 'valid') {
      expect(Object.keys(checked.value)).not.toContain('extra');
      expect(Object.getPrototypeOf(checked.value)).toBe(Greeting.prototype);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    }
  });
});
