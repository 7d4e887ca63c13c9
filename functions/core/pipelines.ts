import { type Placeholder, type SQL, and, asc, eq, getTableColumns, or, sql } from 'drizzle-orm';
import type { PgUpdateSetSource } from 'drizzle-orm/pg-core';
import { type DbOrTx, preparedFor } from '../../db/client';
import { UniqueViolationError, asDatabaseError } from '../../db/errors';
import { type PipelineDefinition, type PipelineLabels, pipelines, pipelineVersions } from '../../db/schema';
import { nextSlot } from './cron';
import { prepareDefinition } from './definitions';
import type { VersionRef } from './pipeline-ref';
import { NotFoundError, PreconditionFailedError, StateConflictError } from './errors';
import { newId } from './ids';
import { afterCursor, decodeCursor, pageSize, toPage, type PageRequest } from './pagination';
import { toVersion } from './versions';

/**
 * A pipeline row with the number of its active version, read through a join on
 * pipeline_versions (the caller adds it) so that one round trip returns both. A join rather than a
 * correlated subquery: Drizzle leaves columns unqualified in single-table queries, which would
 * make a subquery's `id` silently mean the inner table's.
 */
const pipelineWithActiveVersion = {
  ...getTableColumns(pipelines),
  activeVersion: pipelineVersions.number,
};
const isActiveVersion = eq(pipelineVersions.id, pipelines.activeVersionId);

type PipelineRow = typeof pipelines.$inferSelect & { activeVersion: number | null };

export const toPipeline = (row: PipelineRow) => ({
  id: row.id,
  name: row.name,
  description: row.description,
  schedule: row.schedule,
  timezone: row.timezone,
  scheduleEnabled: row.scheduleEnabled,
  nextRunAt: nextRunAt(row)?.toISOString() ?? null,
  lastScheduledFor: row.lastScheduledFor?.toISOString() ?? null,
  labels: row.labels,
  activeVersion: row.activeVersion,
  revision: row.revision,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});
export type Pipeline = ReturnType<typeof toPipeline>;

type ScheduleColumns = Pick<typeof pipelines.$inferSelect, 'schedule' | 'timezone' | 'scheduleEnabled' | 'scheduleSince' | 'scheduleNextAt'>;

/**
 * When the schedule fires next: null when there is none or it is paused. The tick's stored next
 * slot when it is still ahead, otherwise the first slot after now (and after the schedule took
 * effect). A slot that is due but not yet fired (no tick ran) shows as the next one after it.
 */
export function nextRunAt(row: ScheduleColumns, now = new Date()): Date | null {
  if (!row.schedule || !row.scheduleEnabled) return null;
  if (row.scheduleNextAt && row.scheduleNextAt > now) return row.scheduleNextAt;
  try {
    return nextSlot(row.schedule, row.timezone, row.scheduleSince > now ? row.scheduleSince : now);
  } catch {
    return null; // stored before expressions were checked as strictly as now (six fields): never fires
  }
}

export interface PipelineMetadata {
  name: string;
  description?: string | null;
  schedule?: string | null;
  timezone?: string;
  scheduleEnabled?: boolean;
  labels?: PipelineLabels;
}

const nameTaken = (name: string) => new StateConflictError('pipeline_name_taken', `a pipeline named "${name}" already exists in this project`);

function rethrowNameConflict(err: unknown, name: string | undefined): never {
  const typed = asDatabaseError(err);
  if (name && typed instanceof UniqueViolationError && typed.constraint === 'pipelines_project_id_name_key') throw nameTaken(name);
  throw err;
}

/** Creates the pipeline with its first definition as version 1, active. */
export async function createPipeline({
  db,
  input,
}: {
  db: DbOrTx;
  input: PipelineMetadata & { projectId: string; definition: PipelineDefinition; sourceHash?: string; keyId?: string };
}) {
  const { definition, hash } = prepareDefinition(input.definition);
  const pipelineId = newId('pipeline');
  const versionId = newId('version');
  try {
    return await db.transaction(async (tx) => {
      // The active version cannot be set on insert: the version row needs the pipeline first.
      await tx.insert(pipelines).values({
        id: pipelineId,
        projectId: input.projectId,
        name: input.name,
        description: input.description ?? null,
        schedule: input.schedule ?? null,
        timezone: input.timezone ?? 'UTC',
        scheduleEnabled: input.scheduleEnabled ?? true,
        labels: input.labels ?? {},
      });
      const [version] = await tx
        .insert(pipelineVersions)
        .values({ id: versionId, projectId: input.projectId, pipelineId, number: 1, hash, definition, sourceHash: input.sourceHash })
        .returning();
      const [pipeline] = await tx
        .update(pipelines)
        .set({ activeVersionId: versionId, activatedByKeyId: input.keyId ?? null })
        .where(eq(pipelines.id, pipelineId))
        .returning();
      return { pipeline: toPipeline({ ...pipeline!, activeVersion: 1 }), version: toVersion(version!) };
    });
  } catch (err) {
    rethrowNameConflict(err, input.name);
  }
}

export async function listPipelines({ db, input }: { db: DbOrTx; input: PageRequest & { projectId: string } }) {
  const limit = pageSize(input);
  const position = input.cursor ? decodeCursor('pipelines', input.cursor) : undefined;
  const rows = await db
    .select(pipelineWithActiveVersion)
    .from(pipelines)
    .leftJoin(pipelineVersions, isActiveVersion)
    .where(and(eq(pipelines.projectId, input.projectId), afterCursor(pipelines, position, 'asc')))
    .orderBy(asc(pipelines.createdAt), asc(pipelines.id))
    .limit(limit + 1);
  return toPage('pipelines', rows, limit, toPipeline);
}

const pipelineByIdOrName = (db: DbOrTx, projectId: string | Placeholder, idOrName: string | Placeholder) =>
  db
    .select(pipelineWithActiveVersion)
    .from(pipelines)
    .leftJoin(pipelineVersions, isActiveVersion)
    .where(and(eq(pipelines.projectId, projectId), or(eq(pipelines.id, idOrName), eq(pipelines.name, idOrName))));

/** By id or by name: names are slugs and ids contain "_", so the two never collide. */
export async function getPipeline({ db, input }: { db: DbOrTx; input: { projectId: string; idOrName: string } }) {
  const prepared = preparedFor(db, 'pipeline_by_id_or_name', (d) =>
    pipelineByIdOrName(d, sql.placeholder('projectId'), sql.placeholder('idOrName')).prepare('pipestore_pipeline_by_id_or_name'),
  );
  const [row] = prepared ? await prepared.execute(input) : await pipelineByIdOrName(db, input.projectId, input.idOrName);
  if (!row) throw new NotFoundError('pipeline', input.idOrName);
  return toPipeline(row);
}

interface WriteTarget {
  projectId: string;
  id: string;
  /** The revision the caller last saw (If-Match); the write then only applies at that revision. */
  ifMatch?: number;
}

/** The pipeline a write is for, in its project, and at the If-Match revision when one is given. */
const isTarget = ({ projectId, id, ifMatch }: WriteTarget) =>
  and(eq(pipelines.id, id), eq(pipelines.projectId, projectId), ifMatch === undefined ? undefined : eq(pipelines.revision, ifMatch));

/**
 * After a conditional write matched nothing: 404 when the pipeline is not there, 412 when it is
 * but its revision moved on.
 */
async function explainMissedWrite(db: DbOrTx, { projectId, id }: WriteTarget): Promise<never> {
  const [current] = await db.select({ revision: pipelines.revision }).from(pipelines).where(isTarget({ projectId, id })); // at whatever revision
  if (!current) throw new NotFoundError('pipeline', id);
  throw new PreconditionFailedError(current.revision);
}

/**
 * The one conditional UPDATE behind every metadata change: sets `values` on the target pipeline,
 * bumps its revision, and joins the version row `version` selects, whose number comes back as
 * the pipeline's activeVersion. Undefined when no row matched (the caller explains the miss).
 */
async function updateTarget(db: DbOrTx, target: WriteTarget, values: PgUpdateSetSource<typeof pipelines>, version: SQL | undefined) {
  const [row] = await db
    .update(pipelines)
    .set({ ...values, revision: sql`${pipelines.revision} + 1`, updatedAt: sql`now()` })
    .from(pipelineVersions)
    .where(and(isTarget(target), version))
    .returning(pipelineWithActiveVersion);
  return row && toPipeline(row);
}

export async function updatePipeline({ db, input }: { db: DbOrTx; input: WriteTarget & { patch: Partial<PipelineMetadata> } }) {
  const { patch } = input;
  const values = {
    ...(patch.name !== undefined && { name: patch.name }),
    ...(patch.description !== undefined && { description: patch.description }),
    ...(patch.schedule !== undefined && { schedule: patch.schedule }),
    ...(patch.labels !== undefined && { labels: patch.labels }),
    ...(patch.timezone !== undefined && { timezone: patch.timezone }),
    ...(patch.scheduleEnabled !== undefined && { scheduleEnabled: patch.scheduleEnabled }),
    ...scheduleRestart(patch),
  };
  try {
    // Every pipeline has an active version from creation on, so joining it loses no row.
    const pipeline = await updateTarget(db, input, values, isActiveVersion);
    return pipeline ?? (await explainMissedWrite(db, input));
  } catch (err) {
    rethrowNameConflict(err, patch.name);
  }
}

/**
 * A schedule that changes (expression or zone) or resumes starts afresh: only slots after this
 * write fire, and the tick recomputes its next slot. Decided in SQL against the row's current
 * values, so re-sending an unchanged schedule (sync does) disturbs nothing.
 */
function scheduleRestart(patch: Partial<PipelineMetadata>): PgUpdateSetSource<typeof pipelines> {
  const changes: SQL[] = [];
  if (patch.schedule !== undefined) changes.push(sql`${pipelines.schedule} is distinct from ${patch.schedule}`);
  if (patch.timezone !== undefined) changes.push(sql`${pipelines.timezone} <> ${patch.timezone}`);
  if (patch.scheduleEnabled === true) changes.push(sql`not ${pipelines.scheduleEnabled}`);
  if (!changes.length) return {};
  const restarts = sql.join(changes, sql` or `);
  return {
    scheduleSince: sql`case when ${restarts} then now() else ${pipelines.scheduleSince} end`,
    scheduleNextAt: sql`case when ${restarts} then null else ${pipelines.scheduleNextAt} end`,
  };
}

export async function deletePipeline({ db, input }: { db: DbOrTx; input: WriteTarget }) {
  const [row] = await db.delete(pipelines).where(isTarget(input)).returning({ id: pipelines.id });
  if (!row) await explainMissedWrite(db, input);
}

/**
 * Moves the active version (rollback is activating an older one): one conditional UPDATE. The
 * trigger pipelines_record_activation records the change (from, to, `keyId`) in its transaction.
 */
export async function activateVersion({ db, input }: { db: DbOrTx; input: WriteTarget & { version: VersionRef; keyId?: string } }) {
  const isRequestedVersion = and(
    eq(pipelineVersions.pipelineId, pipelines.id),
    typeof input.version === 'number' ? eq(pipelineVersions.number, input.version) : eq(pipelineVersions.hash, input.version),
  );
  const values = { activeVersionId: sql`${pipelineVersions.id}`, activatedByKeyId: input.keyId ?? null };
  const pipeline = await updateTarget(db, input, values, isRequestedVersion);
  if (pipeline) return pipeline;

  // The miss, explained in one more round trip: no pipeline, no such version, or a stale If-Match.
  const [current] = await db
    .select({ revision: pipelines.revision, version: pipelineVersions.id })
    .from(pipelines)
    .leftJoin(pipelineVersions, isRequestedVersion)
    .where(isTarget({ projectId: input.projectId, id: input.id })); // at whatever revision
  if (!current) throw new NotFoundError('pipeline', input.id);
  if (!current.version) throw new NotFoundError('version', String(input.version));
  throw new PreconditionFailedError(current.revision);
}
