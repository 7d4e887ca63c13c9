/**
 * A project's runs across its pipelines (GET /v1/runs): filters, keyset pages, newest first.
 *
 * Every page is one index walk per "key" (a pipeline, a status, or a (pipeline, status) pair),
 * each stopping after a page of rows, merged and cut to a page: Postgres cannot read
 * `pipeline_id = ANY(…)` out of a (pipeline_id, created_at, id) index in created_at order, and would
 * otherwise sort every matching run. Filters without an index of their own (trigger, a wide
 * pipeline set) are applied while walking the widest index that fits.
 */
import { and, desc, eq, getTableColumns, inArray, or, type SQL, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client';
import { type RunStatus, type RunTrigger, pipelineRuns, pipelines, pipelineVersions } from '../../db/schema';
import { ValidationError } from './errors';
import { filteredList, pageStart, toPage, type Page, type ProjectListRequest, type Position } from './pagination';
import { toRun, type Run } from './run-views';

export interface RunFilters {
  /** Pipeline ids or names (any of them). */
  pipelines?: string[];
  statuses?: RunStatus[];
  triggers?: RunTrigger[];
  /** Labels the run's pipeline must carry (all of them). */
  labels?: { key: string; value: string }[];
  /** Inclusive. */
  createdAfter?: Date;
  /** Exclusive: windows [after, before) tile without overlap. */
  createdBefore?: Date;
}

export type ProjectRun = Run & { pipelineName: string };

/** Past this many pipelines, one walk of the project's index filtered by pipeline beats one walk each. */
export const MAX_WALKS_PER_PIPELINE = 20;

const runFilterKey = (f: RunFilters) => ({
  pipelines: [...new Set(f.pipelines ?? [])].sort(),
  statuses: [...new Set(f.statuses ?? [])].sort(),
  triggers: [...new Set(f.triggers ?? [])].sort(),
  labels: [...new Set((f.labels ?? []).map((l) => `${l.key}=${l.value}`))].sort(),
  createdAfter: f.createdAfter?.toISOString() ?? null,
  createdBefore: f.createdBefore?.toISOString() ?? null,
});

export function checkTimeWindow(after: Date | undefined, before: Date | undefined): void {
  if (after && before && after.getTime() > before.getTime()) {
    throw new ValidationError('createdAfter is later than createdBefore', [{ path: 'query.createdAfter', message: 'must not be later than createdBefore' }]);
  }
}

/**
 * The ids of the pipelines the filters allow, or undefined when they allow every pipeline. A
 * pipeline named by the filter that the project does not have is a 400 naming it.
 */
async function resolvePipelines(db: DbOrTx, projectId: string, filters: RunFilters): Promise<string[] | undefined> {
  const named = [...new Set(filters.pipelines ?? [])];
  const labels = filters.labels ?? [];
  if (named.length === 0 && labels.length === 0) return undefined;
  const wanted = Object.fromEntries(labels.map((l) => [l.key, l.value]));
  const rows = await db
    .select({ id: pipelines.id, name: pipelines.name, labels: pipelines.labels })
    .from(pipelines)
    .where(
      and(
        eq(pipelines.projectId, projectId),
        named.length ? or(inArray(pipelines.id, named), inArray(pipelines.name, named)) : undefined,
        // Only without names: with names, a label mismatch must not look like an unknown pipeline.
        named.length === 0 && labels.length ? sql`${pipelines.labels} @> ${JSON.stringify(wanted)}::jsonb` : undefined,
      ),
    );
  if (named.length) {
    const unknown = named.filter((value) => !rows.some((row) => row.id === value || row.name === value));
    if (unknown.length) {
      throw new ValidationError('unknown pipeline', [
        { path: 'query.pipeline', message: `this project has no pipeline ${unknown.map((u) => JSON.stringify(u)).join(', ')}` },
      ]);
    }
  }
  return rows.filter((row) => labels.every((l) => row.labels[l.key] === l.value)).map((row) => row.id);
}

const list = (values: readonly string[]) =>
  sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  );

/**
 * The ids of one page, newest first, as a subquery: one index walk per key, each limited to a
 * page, merged. Raw SQL with its own aliases (see the note on versionNumber in runs.ts).
 */
function pageIds(projectId: string, pipelineIds: string[] | undefined, filters: RunFilters, position: Position | undefined, limit: number): SQL {
  const conditions: SQL[] = [sql`r.project_id = ${projectId}`];
  const statuses = filters.statuses?.length ? [...new Set(filters.statuses)] : undefined;
  if (filters.triggers?.length) conditions.push(sql`r.trigger in (${list(filters.triggers)})`);
  if (filters.createdAfter) conditions.push(sql`r.created_at >= ${filters.createdAfter.toISOString()}::timestamptz`);
  if (filters.createdBefore) conditions.push(sql`r.created_at < ${filters.createdBefore.toISOString()}::timestamptz`);
  if (position) conditions.push(sql`(r.created_at, r.id) < (${position.createdAt.toISOString()}::timestamptz, ${position.id})`);

  // Which dimensions get a walk of their own: pipelines (few enough), then statuses.
  const walkPipelines = pipelineIds !== undefined && pipelineIds.length <= MAX_WALKS_PER_PIPELINE;
  if (pipelineIds && !walkPipelines) conditions.push(sql`r.pipeline_id in (${list(pipelineIds)})`);
  const walkStatuses = statuses !== undefined;
  if (!walkPipelines && !walkStatuses) {
    // One walk of pipeline_runs_project_id_created_at_id_idx.
    return sql`(select r.id from pipeline_runs r where ${sql.join(conditions, sql` and `)} order by r.created_at desc, r.id desc limit ${limit})`;
  }
  const keys: SQL[] = [];
  const columns: string[] = [];
  if (walkPipelines) columns.push('pipeline_id');
  if (walkStatuses) columns.push('status');
  for (const pipelineId of walkPipelines ? pipelineIds! : [undefined]) {
    for (const status of walkStatuses ? statuses! : [undefined]) {
      keys.push(sql`(${list([pipelineId, status].filter((v): v is string => v !== undefined))})`);
    }
  }
  const keyConditions = columns.map((column) => sql`r.${sql.raw(column)} = k.${sql.raw(column)}`);
  // Each walk: pipeline_runs_pipeline_id[_status]_created_at_id_idx or
  // pipeline_runs_project_id_status_created_at_id_idx, read backwards, stopped after a page.
  return sql`(select w.id from (values ${sql.join(keys, sql`, `)}) as k(${sql.raw(columns.join(', '))})
    cross join lateral (
      select r.id, r.created_at from pipeline_runs r
      where ${sql.join([...keyConditions, ...conditions], sql` and `)}
      order by r.created_at desc, r.id desc limit ${limit}
    ) w
    order by w.created_at desc, w.id desc limit ${limit})`;
}

/**
 * The project's runs that match every filter, newest first (keyset on created_at, id), each with
 * its pipeline's name. Two round trips when the filters name pipelines or labels (they are
 * resolved to pipeline ids first), one otherwise.
 */
export async function listProjectRuns({ db, projectId, filters = {}, cursor, limit: requested }: ProjectListRequest<RunFilters>): Promise<Page<ProjectRun>> {
  checkTimeWindow(filters.createdAfter, filters.createdBefore);
  const listName = filteredList('project-runs', runFilterKey(filters));
  const { limit, position } = pageStart(listName, { cursor, limit: requested });
  const pipelineIds = await resolvePipelines(db, projectId, filters);
  if (pipelineIds?.length === 0) return { items: [], nextCursor: null };
  const rows = await db
    .select({ ...getTableColumns(pipelineRuns), version: pipelineVersions.number, pipelineName: pipelines.name })
    .from(pipelineRuns)
    .innerJoin(pipelines, eq(pipelines.id, pipelineRuns.pipelineId))
    .innerJoin(pipelineVersions, eq(pipelineVersions.id, pipelineRuns.versionId))
    .where(inArray(pipelineRuns.id, pageIds(projectId, pipelineIds, filters, position, limit + 1)))
    .orderBy(desc(pipelineRuns.createdAt), desc(pipelineRuns.id));
  return toPage(listName, rows, limit, ({ pipelineName, ...row }) => {
    const { id, pipelineId, ...run } = toRun(row);
    return { id, pipelineId, pipelineName, ...run };
  });
}
