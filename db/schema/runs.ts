import { sql } from 'drizzle-orm';
import { check, doublePrecision, index, integer, jsonb, pgTable, text, unique, uniqueIndex } from 'drizzle-orm/pg-core';
import { isOneOf, mutableRow, timestamptz } from './columns';
import { pipelines, pipelineVersions } from './pipelines';
import { projects } from './projects';

export const RUN_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out'] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** How a run came to be: through the API, fired by its pipeline's schedule, or from the console. */
export const RUN_TRIGGERS = ['api', 'schedule', 'console'] as const;
export type RunTrigger = (typeof RUN_TRIGGERS)[number];

export const TASK_RUN_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled'] as const;
export type TaskRunStatus = (typeof TASK_RUN_STATUSES)[number];

/** Final states: nothing moves a run or task run out of them (README, "Runs, task runs, …"). */
export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = ['succeeded', 'failed', 'cancelled', 'timed_out'];
export const TERMINAL_TASK_RUN_STATUSES: readonly TaskRunStatus[] = ['succeeded', 'failed', 'skipped', 'cancelled'];
/** The states a run or task run is still in progress in (the same two for both). */
export const LIVE_STATUSES = ['pending', 'running'] as const satisfies readonly (RunStatus & TaskRunStatus)[];

export const pipelineRuns = pgTable(
  'pipeline_runs',
  {
    id: text().primaryKey(),
    projectId: text()
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    pipelineId: text()
      .notNull()
      .references(() => pipelines.id, { onDelete: 'cascade' }),
    // Pinned at creation: later activations never change what a run executes.
    versionId: text()
      .notNull()
      .references(() => pipelineVersions.id),
    status: text().$type<RunStatus>().notNull().default('pending'),
    currentStage: text(),
    stageResults: jsonb().$type<Record<string, unknown>>().notNull().default({}),
    input: jsonb(),
    output: jsonb(),
    error: jsonb(),
    startedAt: timestamptz(),
    completedAt: timestamptz(),
    heartbeatAt: timestamptz(),
    trigger: text().$type<RunTrigger>().notNull().default('api'),
    // The schedule slot a scheduled run was created for (null for every other trigger).
    scheduledFor: timestamptz(),
    // For a scheduled run: how many earlier slots passed without a run (downtime is not back-filled).
    missedSlots: integer(),
    ...mutableRow,
  },
  (t) => [
    check('pipeline_runs_status_check', isOneOf(t.status, RUN_STATUSES)),
    check('pipeline_runs_trigger_check', isOneOf(t.trigger, RUN_TRIGGERS)),
    // One run per schedule slot, however many ticks race for it (NULLs, i.e. unscheduled runs, are distinct).
    uniqueIndex('pipeline_runs_pipeline_id_scheduled_for_key').on(t.pipelineId, t.scheduledFor),
    // GET /v1/pipelines/{id}/runs: newest runs of a pipeline, keyset on (created_at, id), read
    // backwards. Plain ascending on purpose: Drizzle's .desc() builds DESC NULLS LAST, which an
    // ORDER BY … DESC (NULLS FIRST) cannot use, and the planner would sort the whole pipeline.
    index('pipeline_runs_pipeline_id_created_at_id_idx').on(t.pipelineId, t.createdAt, t.id),
    // GET /v1/pipelines/{id}/runs?status=: the same list filtered by status.
    index('pipeline_runs_pipeline_id_status_created_at_id_idx').on(t.pipelineId, t.status, t.createdAt, t.id),
    // GET /v1/runs without a pipeline or status filter (and with a trigger, label or wide pipeline
    // set as a residual filter), and GET /v1/runs/stats: a project's runs by creation time.
    index('pipeline_runs_project_id_created_at_id_idx').on(t.projectId, t.createdAt, t.id),
    // GET /v1/runs?status=… without a pipeline filter: one backward scan per requested status.
    index('pipeline_runs_project_id_status_created_at_id_idx').on(t.projectId, t.status, t.createdAt, t.id),
    // Cleanup: running runs whose heartbeat went stale (partial: only live runs are indexed).
    index('pipeline_runs_heartbeat_at_idx').on(t.heartbeatAt).where(sql`${t.status} = 'running'`),
    // Cleanup: runs still pending past PENDING_RUN_TIMEOUT_S (partial: only pending runs are indexed).
    index('pipeline_runs_pending_created_at_idx').on(t.createdAt).where(sql`${t.status} = 'pending'`),
    // Cleanup: terminal runs past RUN_RETENTION_DAYS.
    index('pipeline_runs_completed_at_idx').on(t.completedAt).where(sql`${t.completedAt} is not null`),
    // Deleting a pipeline (or a project) deletes its versions, and the foreign key from version_id
    // is checked for every deleted version: without this index each check scans the whole table.
    index('pipeline_runs_version_id_idx').on(t.versionId),
  ],
);

export const taskRuns = pgTable(
  'task_runs',
  {
    id: text().primaryKey(),
    projectId: text()
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    runId: text()
      .notNull()
      .references(() => pipelineRuns.id, { onDelete: 'cascade' }),
    stageId: text().notNull(),
    // The task's id within its stage in the pinned definition.
    taskId: text().notNull(),
    // The registry task it executes (definition `task`), which supplies max_attempts.
    taskName: text(),
    attempt: integer().notNull().default(1),
    status: text().$type<TaskRunStatus>().notNull().default('pending'),
    progress: doublePrecision().notNull().default(0),
    messages: jsonb().$type<string[]>().notNull().default([]),
    input: jsonb(),
    output: jsonb(),
    error: jsonb(),
    startedAt: timestamptz(),
    completedAt: timestamptz(),
    heartbeatAt: timestamptz(),
    ...mutableRow,
  },
  (t) => [
    check('task_runs_status_check', isOneOf(t.status, TASK_RUN_STATUSES)),
    check('task_runs_progress_check', sql`${t.progress} >= 0 and ${t.progress} <= 1`),
    check('task_runs_attempt_check', sql`${t.attempt} >= 1`),
    // One row per attempt; also serves GET /v1/runs/{id}/tasks (prefix run_id).
    unique('task_runs_run_id_stage_id_task_id_attempt_key').on(t.runId, t.stageId, t.taskId, t.attempt),
    // GET /v1/task-runs (no filter, or a status filter as residual when taskId is given too).
    index('task_runs_project_id_created_at_id_idx').on(t.projectId, t.createdAt, t.id),
    // GET /v1/task-runs?status=…: a failing task followed across runs.
    index('task_runs_project_id_status_created_at_id_idx').on(t.projectId, t.status, t.createdAt, t.id),
    // GET /v1/task-runs?taskId=… (with or without status).
    index('task_runs_project_id_task_id_created_at_id_idx').on(t.projectId, t.taskId, t.createdAt, t.id),
  ],
);
