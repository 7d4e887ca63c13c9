import { integer, pgTable, primaryKey, smallint, text } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns';

/**
 * What GET /v1/runs/stats reads instead of every run of its window: per project, pipeline and
 * period (an hour and a day, both kept), how many runs were created in it per current status and
 * how many finished runs fall in each duration bucket. Written by the trigger
 * `pipeline_runs_rollup` (migration 0009) in the transaction of every insert, update or delete of
 * a run, so no write path can forget it; rebuilt whole by `rebuild_run_rollups()`.
 *
 * `bucket` < 0: the count of runs in status RUN_STATUSES[-bucket - 1] (pending = -1 …).
 * `bucket` >= 0: finished runs whose duration falls in that log-scale bucket: 0 below 1 ms, b >= 1
 * for [1.05^(b-1), 1.05^b) ms (DURATION_BUCKET_RATIO in functions/core/duration-histogram.ts).
 *
 * No foreign keys: a pipeline's or project's deletion deletes its runs, whose trigger then writes
 * here; a key to the row being deleted would fail. Rows that reach 0 stay (and are read as 0).
 */
export const runRollups = pgTable(
  'run_rollups',
  {
    projectId: text().notNull(),
    pipelineId: text().notNull(),
    // 1 (hour) or 24 (day): periods start at a multiple of their length since 2000-01-01 UTC.
    periodHours: smallint().notNull(),
    periodStart: timestamptz().notNull(),
    bucket: smallint().notNull(),
    runs: integer().notNull(),
  },
  (t) => [
    // GET /v1/runs/stats: one range scan per (period length, span of periods).
    primaryKey({ name: 'run_rollups_pkey', columns: [t.projectId, t.periodHours, t.periodStart, t.pipelineId, t.bucket] }),
  ],
);
