import { register } from 'prom-client';

/**
 * The sum of a metric's samples whose labels include `labels`, read from the
 * process-wide prom-client registry (a histogram's `_count` via `sample`).
 */
export async function metricValue(
  name: string,
  labels: Record<string, string> = {},
  sample = name,
): Promise<number> {
  const metric = register.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values
    .filter(
      (value) =>
        ((value as { metricName?: string }).metricName ?? name) === sample &&
        Object.entries(labels).every(
          ([key, expected]) =>
            String((value.labels as Record<string, unknown>)[key]) === expected,
        ),
    )
    .reduce((sum, value) => sum + value.value, 0);
}
