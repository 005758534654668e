/**
 * Splits a whole number in proportion to `weights`, in whole numbers that
 * add up to it exactly (largest remainder first). Equal shares when every
 * weight is zero.
 */
export function apportion(total: number, weights: readonly number[]): number[] {
  const sum = weights.reduce((a, b) => a + b, 0);
  const fair = sum > 0 ? weights : weights.map(() => 1);
  const fairSum = sum > 0 ? sum : weights.length;
  const exact = fair.map((weight) => (total * weight) / fairSum);
  const shares = exact.map(Math.floor);
  let left = total - shares.reduce((a, b) => a + b, 0);
  const byRemainder = exact
    .map((value, index) => ({ index, remainder: value - shares[index] }))
    .sort((a, b) => b.remainder - a.remainder || a.index - b.index);
  for (const { index } of byRemainder) {
    if (left <= 0) break;
    shares[index] += 1;
    left -= 1;
  }
  return shares;
}
