/** Response headers of the SDK (a `Headers` object) as a plain record, for the SpendGate. */
export function headersOf(
  headers: Headers | undefined,
): Record<string, string | undefined> {
  const record: Record<string, string | undefined> = {};
  headers?.forEach((value, name) => {
    record[name.toLowerCase()] = value;
  });
  return record;
}
