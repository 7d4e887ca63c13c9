/**
 * GET /v1/runs/stats: how a project's runs went over a window, per pipeline and in total.
 */
import { and, eq, gte, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client';
import { RUN_STATUSES, type RunStatus, pipelineRuns, pipelines } from '../../db/schema';
import { ValidationError } from './errors';

export const DEFAULT_STATS_WINDOW_MS = 24 * 3600_000;
export const MAX_STATS_WINDOW_MS = 31 * 24 * 3600_000;

export interface RunStatsGroup {
  /** Runs created in the window, by their current status. */
  counts: Record<RunStatus, number>;
  total: number;
  /** Duration (completedAt - startedAt) percentiles of the finished runs; null when none finished. */
  durationMs: { p50: number | null; p95: number | null; finished: number };
}

export interface RunStats {
  since: string;
  until: string;
  total: RunStatsGroup;
  pipelines: (RunStatsGroup & { pipelineId: string; pipelineName: string })[];
}

const finished = sql`${pipelineRuns.completedAt} is not null and ${pipelineRuns.startedAt} is not null`;
const durationMs = sql`extract(epoch from (${pipelineRuns.completedAt} - ${pipelineRuns.startedAt})) * 1000`;
const percentile = (fraction: number) =>
  sql<number | null>`percentile_cont(${sql.raw(String(fraction))}) within group (order by ${durationMs}) filter (where ${finished})`;
const countWhere = (status: RunStatus) => sql<number>`count(*) filter (where ${pipelineRuns.status} = ${sql.raw(`'${status}'`)})`;

/** The window's start: `since` itself, no earlier than 31 days ago; 24 h ago by default. */
export function statsWindow(since: Date | undefined, now = new Date()): Date {
  if (!since) return new Date(now.getTime() - DEFAULT_STATS_WINDOW_MS);
  if (now.getTime() - since.getTime() > MAX_STATS_WINDOW_MS) {
    throw new ValidationError('the window is too long', [{ path: 'query.since', message: 'must be within the last 31 days' }]);
  }
  if (since.getTime() > now.getTime()) throw new ValidationError('the window is in the future', [{ path: 'query.since', message: 'must not be in the future' }]);
  return since;
}

/**
 * Counts per status and duration percentiles over the runs created since `since`: one statement,
 * one walk of pipeline_runs_project_id_created_at_id_idx over the window, grouped per pipeline and
 * in total at once (grouping sets).
 */
export async function runStats({ db, projectId, since }: { db: DbOrTx; projectId: string; since?: Date }): Promise<RunStats> {
  const now = new Date();
  const from = statsWindow(since, now);
  const counts = Object.fromEntries(RUN_STATUSES.map((status) => [status, countWhere(status).mapWith(Number)])) as Record<
    RunStatus,
    ReturnType<typeof countWhere>
  >;
  const rows = await db
    .select({
      pipelineId: pipelineRuns.pipelineId,
      pipelineName: pipelines.name,
      // 1 for the grand total row of the grouping sets, 0 for the per-pipeline rows.
      isTotal: sql<number>`grouping(${pipelineRuns.pipelineId})`.mapWith(Number),
      ...counts,
      total: sql<number>`count(*)`.mapWith(Number),
      finished: sql<number>`count(*) filter (where ${finished})`.mapWith(Number),
      p50: percentile(0.5),
      p95: percentile(0.95),
    })
    .from(pipelineRuns)
    .innerJoin(pipelines, eq(pipelines.id, pipelineRuns.pipelineId))
    .where(and(eq(pipelineRuns.projectId, projectId), gte(pipelineRuns.createdAt, from)))
    .groupBy(sql`grouping sets ((${pipelineRuns.pipelineId}, ${pipelines.name}), ())`);
  const toGroup = (row: (typeof rows)[number]): RunStatsGroup => ({
    counts: Object.fromEntries(RUN_STATUSES.map((status) => [status, row[status]])) as Record<RunStatus, number>,
    total: row.total,
    durationMs: { p50: toNumber(row.p50), p95: toNumber(row.p95), finished: row.finished },
  });
  const total = rows.find((row) => row.isTotal === 1);
  const empty: RunStatsGroup = {
    counts: Object.fromEntries(RUN_STATUSES.map((status) => [status, 0])) as Record<RunStatus, number>,
    total: 0,
    durationMs: { p50: null, p95: null, finished: 0 },
  };
  return {
    since: from.toISOString(),
    until: now.toISOString(),
    total: total ? toGroup(total) : empty,
    pipelines: rows
      .filter((row) => row.isTotal === 0)
      .map((row) => ({ pipelineId: row.pipelineId, pipelineName: row.pipelineName, ...toGroup(row) }))
      .sort((a, b) => b.total - a.total || a.pipelineName.localeCompare(b.pipelineName)),
  };
}

/** Percentiles come back as float8 (a number, or text from some drivers); milliseconds, rounded to 0.1. */
const toNumber = (value: unknown): number | null => (value === null || value === undefined ? null : Math.round(Number(value) * 10) / 10);
