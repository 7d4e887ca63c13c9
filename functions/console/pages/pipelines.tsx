import type { FC } from 'hono/jsx';
import { searchPipelines } from '../../core/pipeline-search';
import type { Pipeline } from '../../core/pipelines';
import { recentRunsOfPipelines, type RunSummary } from '../../core/run-summaries';
import type { PageContext } from '../env';
import { Ago, Empty, Labels, Layout, Notice, Pager, Status, withQuery } from '../layout';
import { RunStrip, countByStatus, isLive } from './shared';

export interface PipelineListQuery {
  q?: string;
  /** `key=value` */
  label?: string;
  cursor?: string;
}

const RECENT = 20;

/** Round trips: the page of pipelines, then the recent runs of all of them at once. */
export async function loadPipelineList(ctx: PageContext, query: PipelineListQuery) {
  const [key, ...rest] = (query.label ?? '').split('=');
  const label = key && rest.length ? { key: key.trim(), value: rest.join('=').trim() } : undefined;
  const page = await searchPipelines({
    db: ctx.db,
    input: { projectId: ctx.projectId, nameContains: query.q?.trim() || undefined, label, cursor: query.cursor, limit: 50 },
  });
  const recent = await recentRunsOfPipelines({
    db: ctx.db,
    input: { projectId: ctx.projectId, pipelineIds: page.items.map((p) => p.id), perPipeline: RECENT },
  });
  return { query, page, recent };
}

type Data = Awaited<ReturnType<typeof loadPipelineList>>;

const Row: FC<{ pipeline: Pipeline; runs: RunSummary[] }> = ({ pipeline, runs }) => {
  const last = runs[0];
  return (
    <tr data-pipeline={pipeline.name}>
      <td>
        <a href={`/console/pipelines/${pipeline.name}`}>{pipeline.name}</a>
        {pipeline.description && <div class="muted">{pipeline.description}</div>}
        <Labels labels={pipeline.labels} />
      </td>
      <td>{pipeline.activeVersion ?? '—'}</td>
      <td class="opt">{pipeline.schedule ? <code>{pipeline.schedule}</code> : <span class="muted">—</span>}</td>
      <td>
        {last ? (
          <span>
            <Status status={last.status} /> <Ago at={last.createdAt} />
          </span>
        ) : (
          <span class="muted">no runs</span>
        )}
      </td>
      <td class="opt">
        <RunStrip runs={runs} /> <span class="muted">{countByStatus(runs)}</span>
      </td>
    </tr>
  );
};

export const PipelineListPage: FC<{ data: Data; csrf: string; notice?: string }> = ({ data, csrf, notice }) => {
  const { query, page, recent } = data;
  const live = [...recent.values()].some((runs) => runs.some((r) => isLive(r.status)));
  const filtered = Boolean(query.q || query.label);
  return (
    <Layout title="Pipelines" csrf={csrf} refresh={live ? 5 : undefined}>
      <h1>Pipelines</h1>
      <Notice code={notice} />
      <form class="filters" method="get" action="/console" role="search">
        <label>
          Name contains
          <input name="q" value={query.q ?? ''} />
        </label>
        <label>
          Label (key=value)
          <input name="label" value={query.label ?? ''} placeholder="team=data" />
        </label>
        <button type="submit">Filter</button>
        {filtered && <a href="/console">Clear</a>}
      </form>
      {page.items.length === 0 ? (
        <Empty>
          {filtered
            ? 'No pipeline matches these filters.'
            : 'No pipelines yet: create one with POST /v1/pipelines, or sync your pipelines with `pipestore sync`.'}
        </Empty>
      ) : (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th>Pipeline</th>
                <th>Active version</th>
                <th class="opt">Schedule</th>
                <th>Last run</th>
                <th class="opt">{`Last ${RECENT} runs`}</th>
              </tr>
            </thead>
            <tbody>
              {page.items.map((p) => (
                <Row pipeline={p} runs={recent.get(p.id) ?? []} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager
        first={query.cursor ? withQuery('/console', { q: query.q, label: query.label }) : undefined}
        next={page.nextCursor ? withQuery('/console', { q: query.q, label: query.label, cursor: page.nextCursor }) : undefined}
      />
    </Layout>
  );
};
