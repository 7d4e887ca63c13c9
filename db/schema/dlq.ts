import { sql } from 'drizzle-orm';
import { index, integer, jsonb, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { mutableRow, timestamptz } from './columns';
import { projects } from './projects';
import { pipelineRuns, taskRuns } from './runs';

/** A task run that failed with its attempts exhausted; written in the same transaction as the failure. */
export const dlq = pgTable(
  'dlq',
  {
    id: text().primaryKey(),
    projectId: text()
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    runId: text()
      .notNull()
      .references(() => pipelineRuns.id, { onDelete: 'cascade' }),
    taskRunId: text()
      .notNull()
      .references(() => taskRuns.id, { onDelete: 'cascade' }),
    payload: jsonb(),
    error: jsonb(),
    attempts: integer().notNull(),
    failedAt: timestamptz().notNull().defaultNow(),
    replayedAt: timestamptz(),
    replayTaskRunId: text().references(() => taskRuns.id, { onDelete: 'set null' }),
    ...mutableRow,
  },
  (t) => [
    // A failed task run dead-letters at most once.
    uniqueIndex('dlq_task_run_id_idx').on(t.taskRunId),
    // GET /v1/dlq: keyset pagination on (created_at, id) within a project.
    index('dlq_project_id_created_at_id_idx').on(t.projectId, t.createdAt, t.id),
    // Cleanup: entries older than DLQ_RETENTION_DAYS.
    index('dlq_failed_at_idx').on(t.failedAt),
    // Deleting runs (retention cleanup, pipeline delete) cascades here: without these the foreign
    // key triggers scan the whole table for every deleted run and task run.
    index('dlq_run_id_idx').on(t.runId),
    index('dlq_replay_task_run_id_idx').on(t.replayTaskRunId).where(sql`${t.replayTaskRunId} is not null`),
  ],
);
