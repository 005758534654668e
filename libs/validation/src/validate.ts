import {
  type ValidationError,
  getMetadataStorage,
  validateSync,
} from 'class-validator';

/** What `validate` found: the typed value, or one readable line per invalid field. */
export type Validated<T> =
  { kind: 'valid'; value: T } | { kind: 'invalid'; problems: string[] };

/**
 * The rules that say a value is absent or of the wrong kind. When one of
 * them fails, its message is the field's only line: a missing value is
 * reported as missing, not also as malformed.
 */
const BASIC_RULES = ['isDefined', 'isNotEmpty', 'isString'];

const problemOf = ({ constraints = {} }: ValidationError): string => {
  const basic = BASIC_RULES.find((rule) => rule in constraints);
  return basic ? constraints[basic] : Object.values(constraints)[0];
};

/**
 * The properties `dto` declares at least one rule for. Remembered per class:
 * decorators run once, when the class is defined, so the list never changes,
 * and reading it again costs as much as the validation itself.
 */
const declared = new WeakMap<new () => object, readonly string[]>();
function declaredProperties(dto: new () => object): readonly string[] {
  let properties = declared.get(dto);
  if (properties === undefined) {
    properties = [
      ...new Set(
        getMetadataStorage()
          .getTargetValidationMetadatas(dto, '', true, false)
          .map(({ propertyName }) => propertyName),
      ),
    ];
    declared.set(dto, properties);
  }
  return properties;
}

/**
 * Validates `source` against the class-validator rules of `dto`. Only the
 * properties the DTO declares rules for are read, each copied as it is into
 * a fresh instance: other fields, however deep, are never visited, and a
 * `__proto__` key reaches no setter. A valid result is typed as the DTO
 * declares its fields, so nothing after a validation needs a cast.
 */
export function validate<T extends object>(
  dto: new () => T,
  source: object,
): Validated<T> {
  const value = new dto();
  for (const property of declaredProperties(dto)) {
    // A descriptor's value: a getter on a hostile object is never run.
    const field = Object.getOwnPropertyDescriptor(source, property);
    if (field) Reflect.set(value, property, field.value);
  }
  const errors = validateSync(value, { forbidUnknownValues: false });
  return errors.length === 0
    ? { kind: 'valid', value }
    : { kind: 'invalid', problems: errors.map(problemOf) };
}
