/**
 * The history of a pipeline's active version (GET /v1/pipelines/{id}/activations). The rows are
 * written by a trigger on pipelines (db/schema/activations.ts); this only reads them.
 */
import { and, desc, eq, lt, or } from 'drizzle-orm';
import { alias } from 'drizzle-orm/pg-core';
import type { DbOrTx } from '../../db/client';
import { pipelineActivations, pipelines, pipelineVersions } from '../../db/schema';
import { NotFoundError } from './errors';
import { cursorInteger, decodeKey, encodeKey, pageSize, type Page } from './pagination';

export interface Activation {
  id: number;
  pipelineId: string;
  /** The version active before; null for the pipeline's first version. */
  fromVersion: number | null;
  toVersion: number;
  /** The API key that made the change; null when it came from outside the API (sync, import). */
  keyId: string | null;
  activatedAt: string;
}

const fromVersion = alias(pipelineVersions, 'from_version');
const toVersion = alias(pipelineVersions, 'to_version');

/** Newest first, keyset on the history's sequence (its order is the order the changes committed). */
export async function listActivations({
  db,
  projectId,
  pipelineIdOrName,
  cursor,
  limit: requested,
}: {
  db: DbOrTx;
  projectId: string;
  pipelineIdOrName: string;
  cursor?: string;
  limit?: number;
}): Promise<Page<Activation>> {
  const limit = pageSize({ limit: requested });
  const before = cursor ? cursorInteger(decodeKey('activations', cursor)[0], 1) : undefined;
  const isPipeline = and(eq(pipelines.projectId, projectId), or(eq(pipelines.id, pipelineIdOrName), eq(pipelines.name, pipelineIdOrName)));
  const rows = await db
    .select({
      id: pipelineActivations.id,
      pipelineId: pipelineActivations.pipelineId,
      fromVersion: fromVersion.number,
      toVersion: toVersion.number,
      keyId: pipelineActivations.keyId,
      activatedAt: pipelineActivations.activatedAt,
    })
    .from(pipelineActivations)
    .innerJoin(pipelines, eq(pipelines.id, pipelineActivations.pipelineId))
    .innerJoin(toVersion, eq(toVersion.id, pipelineActivations.toVersionId))
    .leftJoin(fromVersion, eq(fromVersion.id, pipelineActivations.fromVersionId))
    .where(and(isPipeline, before === undefined ? undefined : lt(pipelineActivations.id, before)))
    .orderBy(desc(pipelineActivations.id))
    .limit(limit + 1);
  if (rows.length === 0) {
    // Tell an unknown pipeline (404) from one with no (more) history, cursor or not.
    const [pipeline] = await db.select({ id: pipelines.id }).from(pipelines).where(isPipeline);
    if (!pipeline) throw new NotFoundError('pipeline', pipelineIdOrName);
  }
  const items = rows.slice(0, limit).map((row) => ({ ...row, id: Number(row.id), activatedAt: row.activatedAt.toISOString() }));
  return { items, nextCursor: rows.length > limit ? encodeKey('activations', [items.at(-1)!.id]) : null };
}
