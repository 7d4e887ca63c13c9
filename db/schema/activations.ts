import { bigint, foreignKey, index, pgTable, text } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns';
import { pipelines } from './pipelines';
import { projects } from './projects';

/**
 * Every change of a pipeline's active version, written by the trigger `pipelines_record_activation`
 * (migration 0005) in the transaction of the UPDATE that made it: whatever path moves the active
 * version (the API, sync, import), the history cannot miss it, and concurrent activations are
 * recorded in the order their row locks serialized them (from = the previous row's to).
 */
export const pipelineActivations = pgTable(
  'pipeline_activations',
  {
    // A sequence, not a typeid: the trigger assigns it, and its order is the commit order of the
    // activations of one pipeline (each one waits for the previous one's row lock).
    id: bigint({ mode: 'number' }).primaryKey().generatedAlwaysAsIdentity(),
    projectId: text()
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    pipelineId: text().notNull(),
    // No foreign keys to versions: versions are only ever deleted with their pipeline, which
    // deletes its history too (and such keys would need two more indexes for deletes).
    fromVersionId: text(),
    toVersionId: text().notNull(),
    // The API key that made the change; null for changes made outside the API (sync direct mode, import).
    keyId: text(),
    activatedAt: timestamptz().notNull().defaultNow(),
  },
  (t) => [
    foreignKey({ name: 'pipeline_activations_pipeline_id_fk', columns: [t.pipelineId], foreignColumns: [pipelines.id] }).onDelete('cascade'),
    // GET /v1/pipelines/{id}/activations: newest first, keyset on id; also the cascade from pipelines.
    index('pipeline_activations_pipeline_id_id_idx').on(t.pipelineId, t.id),
  ],
);
