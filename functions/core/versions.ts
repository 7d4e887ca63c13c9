import { and, desc, eq, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client';
import { type PipelineDefinition, pipelines, pipelineVersions } from '../../db/schema';
import { prepareDefinition } from './definitions';
import { NotFoundError, ValidationError } from './errors';
import { newId } from './ids';
import { INT4_MAX } from './bounds';
import { cursorInteger, decodeKey, encodeKey, pageSize, type PageRequest } from './pagination';

type VersionRow = typeof pipelineVersions.$inferSelect;

export const toVersion = (row: VersionRow) => ({
  id: row.id,
  pipelineId: row.pipelineId,
  number: row.number,
  hash: row.hash,
  definition: row.definition,
  sourceHash: row.sourceHash,
  createdAt: row.createdAt.toISOString(),
});
export type Version = ReturnType<typeof toVersion>;

const byHash = (projectId: string, pipelineId: string, hash: string) =>
  and(eq(pipelineVersions.pipelineId, pipelineId), eq(pipelineVersions.projectId, projectId), eq(pipelineVersions.hash, hash));

/**
 * Registers a definition. The same definition (by content hash) returns the existing version
 * (`created: false`); a new one gets the next number. Numbering is serialized per pipeline by a
 * row lock on the pipeline, so concurrent registrations never leave a gap or a duplicate.
 */
export async function registerVersion({
  db,
  input,
}: {
  db: DbOrTx;
  input: { projectId: string; pipelineId: string; definition: PipelineDefinition; sourceHash?: string };
}): Promise<{ version: Version; created: boolean }> {
  const { definition, hash } = prepareDefinition(input.definition);
  // Fast path, no lock: re-registering a known definition is the common case for deploys and sync.
  const [known] = await db
    .select()
    .from(pipelineVersions)
    .where(byHash(input.projectId, input.pipelineId, hash));
  if (known) return { version: toVersion(known), created: false };

  return db.transaction(async (tx) => {
    const [pipeline] = await tx
      .select({ id: pipelines.id })
      .from(pipelines)
      .where(and(eq(pipelines.id, input.pipelineId), eq(pipelines.projectId, input.projectId)))
      .for('update');
    if (!pipeline) throw new NotFoundError('pipeline', input.pipelineId);
    // A new statement after the lock: it sees every version committed by whoever held it before.
    const [inserted] = await tx
      .insert(pipelineVersions)
      .values({
        id: newId('version'),
        projectId: input.projectId,
        pipelineId: input.pipelineId,
        number: sql`(select coalesce(max(${pipelineVersions.number}), 0) + 1 from ${pipelineVersions} where ${pipelineVersions.pipelineId} = ${input.pipelineId})`,
        hash,
        definition,
        sourceHash: input.sourceHash,
      })
      .onConflictDoNothing({ target: [pipelineVersions.pipelineId, pipelineVersions.hash] })
      .returning();
    if (inserted) return { version: toVersion(inserted), created: true };
    const [existing] = await tx
      .select()
      .from(pipelineVersions)
      .where(byHash(input.projectId, input.pipelineId, hash));
    return { version: toVersion(existing!), created: false };
  });
}

/** Newest first, keyset on the version number (numbers are dense and ordered by registration). */
export async function listVersions({ db, input }: { db: DbOrTx; input: PageRequest & { projectId: string; pipelineId: string } }) {
  const limit = pageSize(input);
  let before: number | undefined;
  if (input.cursor) {
    before = cursorInteger(decodeKey('versions', input.cursor)[0], 1);
  }
  const [pipeline] = await db
    .select({ id: pipelines.id })
    .from(pipelines)
    .where(and(eq(pipelines.id, input.pipelineId), eq(pipelines.projectId, input.projectId)));
  if (!pipeline) throw new NotFoundError('pipeline', input.pipelineId);
  const rows = await db
    .select()
    .from(pipelineVersions)
    .where(
      and(
        eq(pipelineVersions.pipelineId, input.pipelineId),
        eq(pipelineVersions.projectId, input.projectId),
        before === undefined ? undefined : lt(pipelineVersions.number, before),
      ),
    )
    .orderBy(desc(pipelineVersions.number))
    .limit(limit + 1);
  const items = rows.slice(0, limit);
  return {
    items: items.map(toVersion),
    nextCursor: rows.length > limit ? encodeKey('versions', [items.at(-1)!.number]) : null,
  };
}

/** By number ("3") or by content hash (64 hex digits). */
export async function getVersion({ db, input }: { db: DbOrTx; input: { projectId: string; pipelineId: string; numberOrHash: string } }) {
  const { numberOrHash } = input;
  const isNumber = /^[1-9][0-9]*$/.test(numberOrHash);
  if (!isNumber && !/^[0-9a-f]{64}$/.test(numberOrHash)) {
    throw new ValidationError('expected a version number or a content hash', [
      { path: 'param.numberOrHash', message: 'expected a positive integer or 64 lowercase hex digits' },
    ]);
  }
  // Version numbers are int4: a larger one names no version (and must not reach the statement).
  if (isNumber && Number(numberOrHash) > INT4_MAX) throw new NotFoundError('version', numberOrHash);
  const [row] = await db
    .select()
    .from(pipelineVersions)
    .where(
      and(
        eq(pipelineVersions.pipelineId, input.pipelineId),
        eq(pipelineVersions.projectId, input.projectId),
        isNumber ? eq(pipelineVersions.number, Number(numberOrHash)) : eq(pipelineVersions.hash, numberOrHash),
      ),
    );
  if (!row) throw new NotFoundError('version', numberOrHash);
  return toVersion(row);
}
