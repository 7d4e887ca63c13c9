/**
 * GET /v1/runs/stats: how a project's runs went over a window, per pipeline and in total.
 */
import { type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client';
import { RUN_STATUSES, type RunStatus } from '../../db/schema';
import { ceilTo, type DurationHistogram, floorTo, HOUR_MS, histogramPercentile, rollupRanges } from './duration-histogram';
import { ValidationError } from './errors';

export const DEFAULT_STATS_WINDOW_MS = 24 * 3600_000;
export const MAX_STATS_WINDOW_MS = 31 * 24 * 3600_000;

export interface RunStatsGroup {
  /** Runs created in the window, by their current status. */
  counts: Record<RunStatus, number>;
  total: number;
  /**
   * Duration (completedAt - startedAt) percentiles of the finished runs, within 2.5 % (below 1 ms:
   * within 1 ms) of the exact value; null when none finished. `finished` is exact.
   */
  durationMs: { p50: number | null; p95: number | null; finished: number };
}

export interface RunStats {
  since: string;
  until: string;
  total: RunStatsGroup;
  pipelines: (RunStatsGroup & { pipelineId: string; pipelineName: string })[];
}

/** The window's start: `since` itself, no earlier than 31 days ago; 24 h ago by default. */
export function statsWindow(since: Date | undefined, now = new Date()): Date {
  if (!since) return new Date(now.getTime() - DEFAULT_STATS_WINDOW_MS);
  if (now.getTime() - since.getTime() > MAX_STATS_WINDOW_MS) {
    throw new ValidationError('the window is too long', [{ path: 'query.since', message: 'must be within the last 31 days' }]);
  }
  if (since.getTime() > now.getTime())
    throw new ValidationError('the window is in the future', [{ path: 'query.since', message: 'must not be in the future' }]);
  return since;
}

/**
 * Counts per status and duration percentiles over the runs created since `since`, in one
 * statement: the window's whole hours and days from run_rollups (see rollupRanges), its partial
 * hours at both ends exactly from pipeline_runs (pipeline_runs_project_id_created_at_id_idx), summed
 * per pipeline and bucket. Counts are exact; percentiles come from the merged log-scale histogram,
 * within DURATION_RELATIVE_ERROR (2.47 %) of percentile_cont over the durations themselves.
 */
export async function runStats({
  db,
  projectId,
  since,
  pipelineIds,
}: {
  db: DbOrTx;
  projectId: string;
  since?: Date;
  /** Only these pipelines (ids of this project): the total is theirs, and fewer rows are read. */
  pipelineIds?: string[];
}): Promise<RunStats> {
  const now = new Date();
  const from = statsWindow(since, now);
  const [firstHour, lastHour] = [ceilTo(from.getTime(), HOUR_MS), floorTo(now.getTime(), HOUR_MS)];
  const at = (time: number) => sql`${new Date(time).toISOString()}::timestamptz`;
  const ids = pipelineIds?.length ? pipelineIds.map((id) => sql`${id}`) : [sql`null`];
  const onlyPipelines = (column: SQL) => (pipelineIds ? sql` and ${column} in (${sql.join(ids, sql`, `)})` : sql``);
  const exactRuns = (where: SQL) =>
    sql`select p.pipeline_id, b.bucket, 1 as runs from pipeline_runs p
      cross join lateral run_rollup_buckets(p.status, p.started_at, p.completed_at) b(bucket)
      where p.project_id = ${projectId} and ${where}${onlyPipelines(sql`p.pipeline_id`)}`;
  const parts =
    firstHour >= lastHour
      ? [exactRuns(sql`p.created_at >= ${at(from.getTime())}`)]
      : [
          exactRuns(sql`p.created_at >= ${at(from.getTime())} and p.created_at < ${at(firstHour)}`),
          exactRuns(sql`p.created_at >= ${at(lastHour)}`),
          ...rollupRanges(firstHour, lastHour).map(
            (range) => sql`select r.pipeline_id, r.bucket, r.runs * ${sql.raw(String(range.sign))} as runs from run_rollups r
              where r.project_id = ${projectId} and r.period_hours = ${sql.raw(String(range.hours))}
              and r.period_start >= ${at(range.from)} and r.period_start < ${at(range.to)}${onlyPipelines(sql`r.pipeline_id`)}`,
          ),
        ];
  const result = await db.execute(sql`select u.pipeline_id, pl.name, u.bucket, sum(u.runs)::int as runs
    from (${sql.join(parts, sql` union all `)}) u join pipelines pl on pl.id = u.pipeline_id and pl.project_id = ${projectId}
    group by u.pipeline_id, pl.name, u.bucket having sum(u.runs) <> 0`);
  // Every driver returns { rows } from execute() (see the CLI's db status); numbers may come as text.
  const rows = (result as unknown as { rows: { pipeline_id: string; name: string; bucket: number | string; runs: number | string }[] }).rows;

  const total = emptyTally();
  const perPipeline = new Map<string, Tally & { pipelineName: string }>();
  for (const row of rows) {
    const [bucket, runs] = [Number(row.bucket), Number(row.runs)];
    let tally = perPipeline.get(row.pipeline_id);
    if (!tally) perPipeline.set(row.pipeline_id, (tally = { ...emptyTally(), pipelineName: row.name }));
    for (const target of [tally, total]) {
      if (bucket < 0) target.counts[RUN_STATUSES[-bucket - 1]!] += runs;
      else target.histogram.set(bucket, (target.histogram.get(bucket) ?? 0) + runs);
    }
  }
  return {
    since: from.toISOString(),
    until: now.toISOString(),
    total: toGroup(total),
    pipelines: [...perPipeline]
      .map(([pipelineId, tally]) => ({ pipelineId, pipelineName: tally.pipelineName, ...toGroup(tally) }))
      .filter((group) => group.total > 0)
      .sort((a, b) => b.total - a.total || a.pipelineName.localeCompare(b.pipelineName)),
  };
}

interface Tally {
  counts: Record<RunStatus, number>;
  histogram: DurationHistogram;
}

const emptyTally = (): Tally => ({
  counts: Object.fromEntries(RUN_STATUSES.map((status) => [status, 0])) as Record<RunStatus, number>,
  histogram: new Map(),
});

function toGroup({ counts, histogram }: Tally): RunStatsGroup {
  return {
    counts,
    total: Object.values(counts).reduce((sum, n) => sum + n, 0),
    durationMs: {
      p50: rounded(histogramPercentile(histogram, 0.5)),
      p95: rounded(histogramPercentile(histogram, 0.95)),
      finished: [...histogram.values()].reduce((sum, n) => sum + n, 0),
    },
  };
}

/** Milliseconds, rounded to 0.1. */
const rounded = (value: number | null): number | null => (value === null ? null : Math.round(value * 10) / 10);
