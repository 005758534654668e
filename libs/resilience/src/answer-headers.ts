/** Answer headers as undici and axios give them. */
export type AnswerHeaders = Record<string, string | string[] | undefined>;

/** Answer headers as undici and axios give them, or as fetch does (the openai SDK). */
export type AnyAnswerHeaders = AnswerHeaders | Headers;

/** The first value of header `name` (lower case), or undefined. */
export function headerValue(
  headers: AnyAnswerHeaders | undefined,
  name: string,
): string | undefined {
  if (headers === undefined) return undefined;
  // Not `instanceof Headers`: a custom fetch may bring its own Headers class.
  if (typeof headers.get === 'function')
    return (headers as Headers).get(name) ?? undefined;
  const value = (headers as AnswerHeaders)[name];
  return Array.isArray(value) ? value[0] : value;
}
