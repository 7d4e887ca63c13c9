import { sql } from 'drizzle-orm';
import { type AnyPgColumn, foreignKey, index, integer, jsonb, pgTable, text, unique, check, boolean } from 'drizzle-orm/pg-core';
import { mutableRow, timestamptz } from './columns';
import { projects } from './projects';

export type PipelineLabels = Record<string, string>;

export interface PipelineTaskDefinition {
  id: string;
  task: string;
  config?: Record<string, unknown>;
}

export interface PipelineStageDefinition {
  id: string;
  name?: string;
  dependsOn?: string[];
  tasks?: PipelineTaskDefinition[];
  config?: Record<string, unknown>;
}

export interface PipelineDefinition {
  stages: PipelineStageDefinition[];
}

export const pipelines = pgTable(
  'pipelines',
  {
    id: text().primaryKey(),
    projectId: text()
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    name: text().notNull(),
    description: text(),
    schedule: text(),
    // IANA time zone the schedule's cron is read in.
    timezone: text().notNull().default('UTC'),
    // Paused schedules keep their expression and fire nothing.
    scheduleEnabled: boolean().notNull().default(true),
    // When the current schedule took effect (set, changed, re-zoned or resumed): only slots after
    // it fire, so a schedule never fires for a time before it existed, or while it was paused.
    scheduleSince: timestamptz().notNull().defaultNow(),
    // The first slot the tick has not fired yet; null until a tick has computed it from
    // schedule_since (a write that changes the schedule resets it, since SQL cannot do cron).
    scheduleNextAt: timestamptz(),
    // The last slot that created a run.
    lastScheduledFor: timestamptz(),
    labels: jsonb().$type<PipelineLabels>().notNull().default({}),
    activeVersionId: text().references((): AnyPgColumn => pipelineVersions.id, {
      onDelete: 'set null',
    }),
    // The API key behind the latest activation, read by the trigger that records the history
    // (pipeline_activations); null when a change came from outside the API.
    activatedByKeyId: text(),
    ...mutableRow,
  },
  (t) => [
    // Names are the human handle (GET /v1/pipelines/{name}, sync): one per project.
    unique('pipelines_project_id_name_key').on(t.projectId, t.name),
    // GET /v1/pipelines: keyset pagination on (created_at, id) within a project.
    index('pipelines_project_id_created_at_id_idx').on(t.projectId, t.createdAt, t.id),
    // The ON DELETE SET NULL of active_version_id: deleting a project deletes its versions, and
    // each one looks for the pipelines pointing at it; without this, a scan of pipelines apiece.
    index('pipelines_active_version_id_idx').on(t.activeVersionId),
    // tickSchedules: the enabled schedules whose next slot is due (or not computed yet). Partial,
    // so that unscheduled and paused pipelines cost the tick nothing.
    index('pipelines_schedule_next_at_idx').on(t.scheduleNextAt).where(sql`${t.schedule} is not null and ${t.scheduleEnabled}`),
  ],
);

/** Immutable: a version is never updated, so it has no revision or updated_at. */
export const pipelineVersions = pgTable(
  'pipeline_versions',
  {
    id: text().primaryKey(),
    projectId: text()
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    pipelineId: text().notNull(),
    number: integer().notNull(),
    hash: text().notNull(),
    definition: jsonb().$type<PipelineDefinition>().notNull(),
    sourceHash: text(),
    createdAt: timestamptz().notNull().defaultNow(),
  },
  (t) => [
    foreignKey({
      name: 'pipeline_versions_pipeline_id_fk',
      columns: [t.pipelineId],
      foreignColumns: [pipelines.id],
    }).onDelete('cascade'),
    // Registering an existing definition returns the existing version; also serves lookup by hash.
    unique('pipeline_versions_pipeline_id_hash_key').on(t.pipelineId, t.hash),
    // Gapless numbering per pipeline; also serves lookup by number and "newest first" listing.
    unique('pipeline_versions_pipeline_id_number_key').on(t.pipelineId, t.number),
    check('pipeline_versions_number_positive', sql`${t.number} >= 1`),
  ],
);
