/** Nearest-rank percentile (p in 0..100) of values, which need not be sorted. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1];
}

/**
 * Tasks per second the settings allow against a provider of fixed latency:
 * no more tasks in flight than CONCURRENCY_LIMIT, and no more inputs in
 * flight than OPENAI_MAX_CONCURRENT_REQUESTS full batches.
 */
export function settingsBound(settings: {
  concurrencyLimit: number;
  maxConcurrentRequests: number;
  batchSize: number;
  latencyMs: number;
}): number {
  const inFlight = Math.min(
    settings.concurrencyLimit,
    settings.maxConcurrentRequests * settings.batchSize,
  );
  return inFlight / (settings.latencyMs / 1000);
}

/** Rounds for result files and tables: a few significant figures, not float noise. */
export function round(value: number, digits = 3): number {
  if (!Number.isFinite(value) || value === 0) return value;
  const scale =
    10 ** Math.max(0, digits - 1 - Math.floor(Math.log10(Math.abs(value))));
  return Math.round(value * scale) / scale;
}

/** A small seeded PRNG (mulberry32): the same insertion schedule every run. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  };
}

/** Percentiles of how long tasks stayed claimed: last claim to completion, as the sandbox saw them. */
export function claimToCompletionMs(
  timings: readonly {
    lastClaimedAtMs: number | null;
    completedAtMs: number | null;
  }[],
): { p50: number; p90: number; max: number } {
  const spans = timings
    .filter(
      (timing) =>
        timing.lastClaimedAtMs !== null && timing.completedAtMs !== null,
    )
    .map((timing) => timing.completedAtMs! - timing.lastClaimedAtMs!)
    .sort((a, b) => a - b);
  const at = (share: number) =>
    spans[Math.floor(share * (spans.length - 1))] ?? 0;
  return { p50: at(0.5), p90: at(0.9), max: at(1) };
}

/** The span from the first claim to the last completion, from the sandbox's per-task timings. */
export function processingWindowMs(
  timings: readonly {
    firstClaimedAtMs: number | null;
    completedAtMs: number | null;
  }[],
): number {
  let first = Number.POSITIVE_INFINITY;
  let last = Number.NEGATIVE_INFINITY;
  for (const { firstClaimedAtMs, completedAtMs } of timings) {
    if (firstClaimedAtMs !== null) first = Math.min(first, firstClaimedAtMs);
    if (completedAtMs !== null) last = Math.max(last, completedAtMs);
  }
  return last - first;
}
