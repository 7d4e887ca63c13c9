import { and, eq } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client';
import { pipelines } from '../../db/schema';
import { NotFoundError } from './errors';
import { looksLikeId } from './ids';
import { SLUG_PATTERN } from './identifiers';

/**
 * The one place a pipeline reference from a path (`/v1/pipelines/{id or name}/…`) becomes an id.
 * Ids are prefixed (`pl_…`, with an underscore) and names are slugs (never an underscore), so a
 * reference is one or the other, never ambiguous. An id is returned as it is, at no cost: the
 * statement that uses it is scoped to the project and answers 404 by itself. A name costs one
 * indexed lookup (unique per project). Anything else names nothing: 404.
 */
export async function resolvePipelineId({ db, input }: { db: DbOrTx; input: { projectId: string; ref: string } }): Promise<string> {
  if (looksLikeId('pipeline', input.ref)) return input.ref;
  if (SLUG_PATTERN.test(input.ref)) {
    const [row] = await db
      .select({ id: pipelines.id })
      .from(pipelines)
      .where(and(eq(pipelines.projectId, input.projectId), eq(pipelines.name, input.ref)));
    if (row) return row.id;
  }
  throw new NotFoundError('pipeline', input.ref);
}

/** A version reference: its number, or the SHA-256 of its canonical definition (64 hex digits). */
export type VersionRef = number | string;

export const VERSION_HASH = /^[0-9a-f]{64}$/;
