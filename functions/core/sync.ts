/**
 * What `pipestore sync` needs from the domain: the shape of a code-defined pipeline (checked by
 * `definePipeline()` and again by the CLI) and one read of a project's pipelines with the hashes
 * of their active versions, which is what the sync plan is computed from.
 */
import { eq } from 'drizzle-orm';
import { z } from 'zod';
import type { DbOrTx } from '../../db/client';
import { type PipelineLabels, pipelines, pipelineVersions } from '../../db/schema';
import { DefinitionSchema, definitionErrors } from './definitions';
import type { FieldError } from './errors';
import { issuesToFieldErrors } from './field-errors';
import { pipelineMetadataFields } from './pipeline-metadata';

/** A code-defined pipeline: the metadata the API accepts (the same schemas) and its stages. */
export const PipelineSpecSchema = z.strictObject({
  ...pipelineMetadataFields,
  stages: DefinitionSchema.shape.stages,
});
export type PipelineSpec = z.infer<typeof PipelineSpecSchema>;

/** Every problem of a spec, with paths relative to the spec (`stages.1.dependsOn.0`). */
export function pipelineSpecErrors(spec: unknown): FieldError[] {
  const parsed = PipelineSpecSchema.safeParse(spec);
  const errors: FieldError[] = parsed.success ? [] : issuesToFieldErrors(parsed.error.issues);
  // The stage graph is checked whenever the stages are well-formed, so that a bad name does not
  // hide a bad dependency: all problems of a file are reported at once.
  const stages = PipelineSpecSchema.shape.stages.safeParse((spec as { stages?: unknown } | null)?.stages);
  if (stages.success) {
    // definitionErrors prefixes paths with `${prefix}.`; these are relative to the spec.
    errors.push(...definitionErrors({ stages: stages.data }, '').map((e) => ({ ...e, path: e.path.replace(/^\./, '') })));
  }
  return errors;
}

/** A pipeline as sync compares it: metadata plus the hashes of its active version. */
export interface SyncedPipeline {
  id: string;
  name: string;
  description: string | null;
  schedule: string | null;
  timezone: string;
  scheduleEnabled: boolean;
  labels: PipelineLabels;
  revision: number;
  activeVersion: number | null;
  /** Content hash of the active definition: equal hashes mean an equal definition. */
  activeHash: string | null;
  /** Hash of the source file the active version was synced from (null when not made by sync). */
  activeSourceHash: string | null;
}

/** All pipelines of a project with their active version's hashes, in one round trip. */
export async function listSyncState({ db, input }: { db: DbOrTx; input: { projectId: string } }): Promise<SyncedPipeline[]> {
  return db
    .select({
      id: pipelines.id,
      name: pipelines.name,
      description: pipelines.description,
      schedule: pipelines.schedule,
      timezone: pipelines.timezone,
      scheduleEnabled: pipelines.scheduleEnabled,
      labels: pipelines.labels,
      revision: pipelines.revision,
      activeVersion: pipelineVersions.number,
      activeHash: pipelineVersions.hash,
      activeSourceHash: pipelineVersions.sourceHash,
    })
    .from(pipelines)
    .leftJoin(pipelineVersions, eq(pipelineVersions.id, pipelines.activeVersionId))
    .where(eq(pipelines.projectId, input.projectId))
    .orderBy(pipelines.name);
}
