import { and, asc, eq, getTableColumns, gt, ilike, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client';
import { pipelines, pipelineVersions } from '../../db/schema';
import { ValidationError } from './errors';
import { decodeKey, encodeKey, pageSize, type PageRequest } from './pagination';
import { toPipeline, type Pipeline } from './pipelines';

export interface PipelineSearch extends PageRequest {
  projectId: string;
  /** Part of the name, case-insensitive. */
  nameContains?: string;
  /** A label that must be present with this value. */
  label?: { key: string; value: string };
}

// LIKE's own wildcards in the searched text are literal characters, not patterns.
const likeLiteral = (text: string) => text.replace(/[\\%_]/g, (c) => `\\${c}`);

/**
 * Pipelines by name order, filtered by a part of the name and a label, keyset-paged on the name
 * (unique in a project). The label test is jsonb containment, so it reads labels exactly as
 * stored.
 */
export async function searchPipelines({ db, input }: { db: DbOrTx; input: PipelineSearch }): Promise<{ items: Pipeline[]; nextCursor: string | null }> {
  const limit = pageSize(input);
  let after: string | undefined;
  if (input.cursor) {
    const [name, extra] = decodeKey('pipeline-search', input.cursor);
    if (typeof name !== 'string' || extra !== undefined) {
      throw new ValidationError('the cursor is invalid', [{ path: 'query.cursor', message: 'not a cursor issued by this list' }]);
    }
    after = name;
  }
  const rows = await db
    .select({ ...getTableColumns(pipelines), activeVersion: pipelineVersions.number })
    .from(pipelines)
    .leftJoin(pipelineVersions, eq(pipelineVersions.id, pipelines.activeVersionId))
    .where(
      and(
        eq(pipelines.projectId, input.projectId),
        input.nameContains ? ilike(pipelines.name, `%${likeLiteral(input.nameContains)}%`) : undefined,
        input.label ? sql`${pipelines.labels} @> ${JSON.stringify({ [input.label.key]: input.label.value })}::jsonb` : undefined,
        after === undefined ? undefined : gt(pipelines.name, after),
      ),
    )
    .orderBy(asc(pipelines.name))
    .limit(limit + 1);
  const items = rows.slice(0, limit).map(toPipeline);
  return { items, nextCursor: rows.length > limit ? encodeKey('pipeline-search', [items.at(-1)!.name]) : null };
}
