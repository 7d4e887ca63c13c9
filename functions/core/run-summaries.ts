import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client';
import { type RunStatus, pipelineRuns, pipelines } from '../../db/schema';

export interface RunSummary {
  id: string;
  pipelineId: string;
  status: RunStatus;
  createdAt: string;
  startedAt: string | null;
  completedAt: string | null;
}

export const RECENT_RUNS_MAX = 50;

/**
 * The newest `perPipeline` runs of each listed pipeline, newest first, in one round trip: a
 * lateral subquery per pipeline walks its (pipeline_id, created_at, id) index backwards, so the
 * cost is the runs returned, not the runs stored. Pipelines of another project contribute nothing.
 */
export async function recentRunsOfPipelines({
  db,
  input,
}: {
  db: DbOrTx;
  input: { projectId: string; pipelineIds: string[]; perPipeline: number };
}): Promise<Map<string, RunSummary[]>> {
  const byPipeline = new Map<string, RunSummary[]>(input.pipelineIds.map((id) => [id, []]));
  if (input.pipelineIds.length === 0) return byPipeline;
  const perPipeline = Math.max(1, Math.min(input.perPipeline, RECENT_RUNS_MAX));
  const recent = db
    .select({
      id: pipelineRuns.id,
      status: pipelineRuns.status,
      createdAt: pipelineRuns.createdAt,
      startedAt: pipelineRuns.startedAt,
      completedAt: pipelineRuns.completedAt,
    })
    .from(pipelineRuns)
    // The correlation is raw and qualified: Drizzle leaves columns unqualified in a single-table
    // subquery, where a bare "id" would mean pipeline_runs.id.
    .where(and(sql`${pipelineRuns.pipelineId} = "pipelines"."id"`, eq(pipelineRuns.projectId, input.projectId)))
    .orderBy(desc(pipelineRuns.createdAt), desc(pipelineRuns.id))
    .limit(perPipeline)
    .as('recent');
  const rows = await db
    .select({
      pipelineId: pipelines.id,
      id: recent.id,
      status: recent.status,
      createdAt: recent.createdAt,
      startedAt: recent.startedAt,
      completedAt: recent.completedAt,
    })
    .from(pipelines)
    .innerJoinLateral(recent, sql`true`)
    .where(and(eq(pipelines.projectId, input.projectId), inArray(pipelines.id, input.pipelineIds)));
  for (const row of rows) {
    byPipeline.get(row.pipelineId)?.push({
      id: row.id,
      pipelineId: row.pipelineId,
      status: row.status,
      createdAt: row.createdAt.toISOString(),
      startedAt: row.startedAt?.toISOString() ?? null,
      completedAt: row.completedAt?.toISOString() ?? null,
    });
  }
  for (const runs of byPipeline.values()) runs.sort((a, b) => (a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1));
  return byPipeline;
}
