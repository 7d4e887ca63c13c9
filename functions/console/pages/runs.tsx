import type { FC } from 'hono/jsx';
import { RUN_STATUSES, type RunStatus } from '../../../db/schema';
import { searchPipelines } from '../../core/pipeline-search';
import { recentRunsOfPipelines } from '../../core/run-summaries';
import { listRuns } from '../../core/runs';
import type { PageContext } from '../env';
import { Empty, Layout, Pager, withQuery } from '../layout';
import { RunTable, countByStatus, isLive, type RunRow } from './shared';

export interface RunListQuery {
  pipeline?: string;
  status?: RunStatus;
  cursor?: string;
}

const PAGE = 50;

/**
 * One pipeline's runs (status filter, pages) or, with no pipeline chosen, the newest runs across
 * the project's pipelines. The project-wide filters (time range, metadata, status counts of the
 * window) plug in here once GET /v1/runs exists in the core (issue 16): this loader is the only
 * place that changes.
 */
export async function loadRunList(ctx: PageContext, query: RunListQuery) {
  const pipelines = await searchPipelines({ db: ctx.db, input: { projectId: ctx.projectId, limit: 200 } });
  const names = new Map(pipelines.items.map((p) => [p.id, p.name]));
  if (query.pipeline) {
    const pipeline = await ctx.reads.getPipeline({ projectId: ctx.projectId, idOrName: query.pipeline });
    names.set(pipeline.id, pipeline.name);
    const page = await listRuns({
      db: ctx.db,
      input: { projectId: ctx.projectId, pipelineId: pipeline.id, status: query.status, cursor: query.cursor, limit: PAGE },
    });
    const runs: RunRow[] = page.items.map((r) => ({ ...r, pipelineName: pipeline.name }));
    return { query, pipelines: pipelines.items, runs, nextCursor: page.nextCursor };
  }
  const recent = await recentRunsOfPipelines({
    db: ctx.db,
    input: { projectId: ctx.projectId, pipelineIds: pipelines.items.map((p) => p.id), perPipeline: PAGE },
  });
  const runs: RunRow[] = [...recent.values()]
    .flat()
    .filter((r) => !query.status || r.status === query.status)
    .sort((a, b) => (a.createdAt === b.createdAt ? (a.id < b.id ? 1 : -1) : a.createdAt < b.createdAt ? 1 : -1))
    .slice(0, PAGE)
    .map((r) => ({ ...r, pipelineName: names.get(r.pipelineId) }));
  return { query, pipelines: pipelines.items, runs, nextCursor: null };
}

type Data = Awaited<ReturnType<typeof loadRunList>>;

export const RunListPage: FC<{ data: Data; csrf: string }> = ({ data, csrf }) => {
  const { query, pipelines, runs, nextCursor } = data;
  const live = runs.some((r) => isLive(r.status));
  return (
    <Layout title="Runs" csrf={csrf} refresh={live ? 5 : undefined}>
      <h1>Runs</h1>
      <form class="filters" method="get" action="/console/runs">
        <label>
          Pipeline
          <select name="pipeline">
            <option value="">all (newest {PAGE})</option>
            {pipelines.map((p) => (
              <option value={p.name} selected={query.pipeline === p.name}>
                {p.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Status
          <select name="status">
            <option value="">any</option>
            {RUN_STATUSES.map((s) => (
              <option value={s} selected={query.status === s}>
                {s.replace('_', ' ')}
              </option>
            ))}
          </select>
        </label>
        <button type="submit">Filter</button>
      </form>
      <p class="muted" data-counts>{`This page: ${countByStatus(runs)}`}</p>
      {runs.length === 0 ? <Empty>No runs match: trigger one from a pipeline's page.</Empty> : <RunTable runs={runs} showPipeline />}
      <Pager
        first={query.cursor ? withQuery('/console/runs', { pipeline: query.pipeline, status: query.status }) : undefined}
        next={nextCursor ? withQuery('/console/runs', { pipeline: query.pipeline, status: query.status, cursor: nextCursor }) : undefined}
      />
    </Layout>
  );
};
