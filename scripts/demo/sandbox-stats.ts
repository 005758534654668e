/** What the demo reads from the sandbox's `/admin` routes (docs/sandbox.md). */
export interface TaskCounts {
  total: number;
  pending: number;
  in_progress: number;
  succeeded: number;
  failed: number;
}

export interface SandboxStats {
  tasks: TaskCounts;
  claims: number;
  releases: number;
}

interface TaskTiming {
  type: unknown;
  state: string;
  lastClaimedAtMs: number | null;
  completedAtMs: number | null;
}

export interface TypeCounts {
  succeeded: number;
  failed: number;
}

export interface BatchSummary {
  succeeded: number;
  failed: number;
  /** The same counts per task type, in the order the types first appear. */
  byType: Map<string, TypeCounts>;
  /** From the first claim to the last completion of the batch. */
  elapsedMs: number;
  /** When the batch's last task was completed, in the sandbox's clock. */
  endMs: number;
}

async function getJson<T>(url: string): Promise<T> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET ${url} answered ${response.status}`);
  return (await response.json()) as T;
}

export function fetchStats(sandboxUrl: string): Promise<SandboxStats> {
  return getJson(`${sandboxUrl}/admin/stats`);
}

/**
 * The tasks completed after `sinceMs`, timed by the sandbox itself: its
 * per-task timestamps are exact, where polling the stats is not.
 */
export async function summariseBatch(
  sandboxUrl: string,
  sinceMs: number,
): Promise<BatchSummary> {
  const timings = await getJson<TaskTiming[]>(`${sandboxUrl}/admin/timings`);
  const batch = timings.filter(
    (timing) =>
      timing.completedAtMs !== null &&
      timing.completedAtMs > sinceMs &&
      (timing.state === 'succeeded' || timing.state === 'failed'),
  );
  const startMs = Math.min(
    ...batch.map((timing) => timing.lastClaimedAtMs ?? timing.completedAtMs!),
  );
  const endMs = Math.max(
    sinceMs,
    ...batch.map((timing) => timing.completedAtMs!),
  );
  const byType = new Map<string, TypeCounts>();
  for (const { type, state } of batch) {
    const counts = byType.get(String(type)) ?? { succeeded: 0, failed: 0 };
    if (state === 'succeeded') counts.succeeded += 1;
    else counts.failed += 1;
    byType.set(String(type), counts);
  }
  return {
    byType,
    succeeded: batch.filter((timing) => timing.state === 'succeeded').length,
    failed: batch.filter((timing) => timing.state === 'failed').length,
    elapsedMs: batch.length > 0 ? endMs - startMs : 0,
    endMs,
  };
}
