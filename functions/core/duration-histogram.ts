/**
 * The log-scale duration histogram of GET /v1/runs/stats, and how a window is cut into the periods
 * run_rollups holds (db/schema/run-rollups.ts, migration 0009).
 */

/**
 * Bucket b >= 1 holds durations in [RATIO^(b-1), RATIO^b) ms (the SQL function run_rollup_buckets
 * assigns them); bucket 0 durations below 1 ms. A bucket reads as its geometric middle, so every
 * duration is read within sqrt(RATIO) - 1 = 2.47 % of its value (bucket 0: within 1 ms), and so is
 * a percentile interpolated between two of them.
 */
export const DURATION_BUCKET_RATIO = 1.05;
export const DURATION_RELATIVE_ERROR = Math.sqrt(DURATION_BUCKET_RATIO) - 1;

const bucketValue = (bucket: number): number => (bucket === 0 ? 0 : DURATION_BUCKET_RATIO ** (bucket - 0.5));

/** A histogram: bucket -> finished runs in it. */
export type DurationHistogram = Map<number, number>;

/**
 * The `fraction` percentile as percentile_cont computes it (linear interpolation between the
 * closest ranks), over the buckets' values; null for an empty histogram.
 */
export function histogramPercentile(histogram: DurationHistogram, fraction: number): number | null {
  const buckets = [...histogram].filter(([, runs]) => runs > 0).sort(([a], [b]) => a - b);
  const total = buckets.reduce((sum, [, runs]) => sum + runs, 0);
  if (total === 0) return null;
  const rank = fraction * (total - 1);
  const valueAt = (index: number) => {
    let seen = 0;
    for (const [bucket, runs] of buckets) {
      seen += runs;
      if (index < seen) return bucketValue(bucket);
    }
    return bucketValue(buckets.at(-1)![0]);
  };
  const low = valueAt(Math.floor(rank));
  return low + (valueAt(Math.ceil(rank)) - low) * (rank - Math.floor(rank));
}

export const HOUR_MS = 3600_000;
const DAY_MS = 24 * HOUR_MS;
// Periods start at multiples of their length since this instant (date_bin's origin in the trigger).
const ORIGIN = Date.UTC(2000, 0, 1);
export const floorTo = (time: number, length: number) => ORIGIN + Math.floor((time - ORIGIN) / length) * length;
export const ceilTo = (time: number, length: number) => ORIGIN + Math.ceil((time - ORIGIN) / length) * length;

/** Rollup rows of `hours`-long periods starting in [from, to), added (sign 1) or subtracted (-1). */
export interface PeriodRange {
  hours: 1 | 24;
  from: number;
  to: number;
  sign: 1 | -1;
}

/**
 * [from, to), both on hour boundaries, as rollup ranges reading as few rows as it can: whole days
 * as days, and a partial day as its hours, or, when it has more than 12, as the whole day minus
 * the hours it lacks (a read of at most 12 hours per edge, plus the days).
 */
export function rollupRanges(from: number, to: number): PeriodRange[] {
  if (from >= to) return [];
  const hours = (a: number, b: number, sign: 1 | -1): PeriodRange[] => (a < b ? [{ hours: 1, from: a, to: b, sign }] : []);
  const partOfDay = (day: number, a: number, b: number): PeriodRange[] =>
    b - a <= DAY_MS / 2 ? hours(a, b, 1) : [{ hours: 24, from: day, to: day + DAY_MS, sign: 1 }, ...hours(day, a, -1), ...hours(b, day + DAY_MS, -1)];
  const [firstDay, lastDay] = [ceilTo(from, DAY_MS), floorTo(to, DAY_MS)];
  if (firstDay > lastDay) return partOfDay(lastDay, from, to);
  return [
    ...partOfDay(firstDay - DAY_MS, from, firstDay),
    ...(firstDay < lastDay ? [{ hours: 24 as const, from: firstDay, to: lastDay, sign: 1 as const }] : []),
    ...partOfDay(lastDay, lastDay, to),
  ];
}
