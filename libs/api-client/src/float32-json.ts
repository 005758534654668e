/** 10^k for k in [-POWERS_OFFSET, POWERS_OFFSET]: every scale a finite float32 needs. */
const POWERS_OFFSET = 60;
const POWERS_OF_TEN = Float64Array.from(
  { length: 2 * POWERS_OFFSET + 1 },
  (_, index) => 10 ** (index - POWERS_OFFSET),
);

const MINUS = 0x2d;
const DOT = 0x2e;
const ZERO = 0x30;
const COMMA = 0x2c;
/** The longest value written: `-0.000000123456789`. */
const MAX_VALUE_BYTES = 18;

/**
 * The JSON array of a Float32Array's values, with 9 significant digits each
 * (trailing zeros dropped): enough to identify every float32 exactly
 * (IEEE 754-2019 §5.12.2), where the widened double would print up to 17.
 * Fixed-point from 1e-7 up to 1e9, exponent notation outside (`1.5e-8`,
 * `2e+12`). Non-finite values become `null`, as `JSON.stringify` writes
 * them.
 *
 * Written byte by byte into a Buffer: `toPrecision` and string joins cost
 * several times as much CPU per value, and this runs for every one of the
 * 1,536 values of every result (docs/performance.md).
 */
export function float32Json(
  vector: Float32Array,
  prefix = '',
  suffix = '',
): Buffer {
  const out = Buffer.allocUnsafe(
    prefix.length + 2 + vector.length * (MAX_VALUE_BYTES + 1) + suffix.length,
  );
  // The binary exponent of each value, read from its bits, gives its
  // decimal exponent to within one, more cheaply than Math.log10.
  const bits = new Uint32Array(vector.buffer, vector.byteOffset, vector.length);
  let at = out.write(prefix, 0, 'latin1');
  out[at++] = 0x5b; // [
  for (let index = 0; index < vector.length; index++) {
    if (index > 0) out[at++] = COMMA;
    at = writeValue(out, at, vector, bits, index);
  }
  out[at++] = 0x5d; // ]
  at += out.write(suffix, at, 'latin1');
  return out.subarray(0, at);
}

const LOG10_2 = Math.log10(2);

/**
 * Writes `vector[index]` at `at`, returning where it ends. Takes the index,
 * not the value: a double passed to a call is boxed, one allocation per value.
 */
function writeValue(
  out: Buffer,
  at: number,
  vector: Float32Array,
  bits: Uint32Array,
  index: number,
): number {
  let value = vector[index]!;
  if (!Number.isFinite(value)) return at + out.write('null', at, 'latin1');
  if (value === 0) {
    out[at] = ZERO;
    return at + 1;
  }
  if (value < 0) {
    out[at++] = MINUS;
    value = -value;
  }
  // value ≈ d.dddddddd × 10^exponent: the 9 digits as one integer. The
  // estimate is never too high, so the loop only ever raises it. A
  // subnormal (binary exponent field 0) has no usable binary exponent.
  const binaryExponent = (bits[index]! >>> 23) & 0xff;
  let exponent =
    binaryExponent === 0
      ? Math.floor(Math.log10(value)) - 1
      : Math.floor((binaryExponent - 127) * LOG10_2);
  let scaled = Math.round(value * POWERS_OF_TEN[POWERS_OFFSET + 8 - exponent]!);
  while (scaled >= 1e9) {
    exponent += 1;
    scaled = Math.round(value * POWERS_OF_TEN[POWERS_OFFSET + 8 - exponent]!);
  }
  let digits = scaled | 0;
  let count = 9;
  while (digits % 10 === 0) {
    digits = (digits / 10) | 0;
    count -= 1;
  }
  if (exponent >= -7 && exponent < 0) {
    out[at++] = ZERO;
    out[at++] = DOT;
    for (let zeros = -exponent - 1; zeros > 0; zeros--) out[at++] = ZERO;
    return writeDigits(out, at, digits, count, -1);
  }
  if (exponent >= 0 && exponent < 9) {
    if (count <= exponent + 1) {
      at = writeDigits(out, at, digits, count, -1);
      for (let zeros = exponent + 1 - count; zeros > 0; zeros--)
        out[at++] = ZERO;
      return at;
    }
    return writeDigits(out, at, digits, count, exponent + 1);
  }
  at = writeDigits(out, at, digits, count, 1);
  out[at++] = 0x65; // e
  out[at++] = exponent < 0 ? MINUS : 0x2b; // + as JavaScript writes it
  return at + out.write(String(Math.abs(exponent)), at, 'latin1');
}

/** Writes `count` digits of `digits`, with a dot after the first `dotAfter` (none when -1 or count). */
function writeDigits(
  out: Buffer,
  at: number,
  digits: number,
  count: number,
  dotAfter: number,
): number {
  const dotted = dotAfter > 0 && dotAfter < count;
  let end = at + count + (dotted ? 1 : 0);
  for (let position = count - 1; position >= 0; position--) {
    if (dotted && position === dotAfter - 1) out[--end] = DOT;
    const rest = (digits / 10) | 0;
    out[--end] = ZERO + digits - rest * 10;
    digits = rest;
  }
  return at + count + (dotted ? 1 : 0);
}
