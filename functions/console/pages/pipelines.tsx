import type { FC } from 'hono/jsx';
import { searchPipelines } from '../../core/pipeline-search';
import type { Pipeline } from '../../core/pipelines';
import { recentRunsOfPipelines, type RunSummary } from '../../core/run-summaries';
import { listSchedules, type Schedule } from '../../core/schedules';
import type { PageContext } from '../env';
import { Ago, Empty, Labels, Layout, Notice, Status, withQuery } from '../layout';
import { FilterForm, Pager } from '../list-controls';
import { ScheduleCell } from '../schedule';
import { RunStrip, countByStatus, isLive } from './shared';

export interface PipelineListQuery {
  q?: string;
  /** `key=value` */
  label?: string;
  cursor?: string;
}

const RECENT = 20;

/**
 * Round trips: the page of pipelines, then side by side the recent runs of all of them and the
 * schedules of the scheduled ones (next fire time, latest slot's run).
 */
export async function loadPipelineList(ctx: PageContext, query: PipelineListQuery) {
  const [key, ...rest] = (query.label ?? '').split('=');
  const label = key && rest.length ? { key: key.trim(), value: rest.join('=').trim() } : undefined;
  const page = await searchPipelines({
    db: ctx.db,
    input: { projectId: ctx.projectId, nameContains: query.q?.trim() || undefined, label, cursor: query.cursor, limit: 50 },
  });
  const scheduled = page.items.filter((p) => p.schedule).map((p) => p.id);
  const [recent, schedules] = await Promise.all([
    recentRunsOfPipelines({ db: ctx.db, input: { projectId: ctx.projectId, pipelineIds: page.items.map((p) => p.id), perPipeline: RECENT } }),
    listSchedules({ db: ctx.db, input: { projectId: ctx.projectId, pipelineIds: scheduled, limit: scheduled.length || 1 } }),
  ]);
  return { query, page, recent, schedules: new Map(schedules.items.map((s) => [s.pipelineId, s])) };
}

type Data = Awaited<ReturnType<typeof loadPipelineList>>;

const Row: FC<{ pipeline: Pipeline; runs: RunSummary[]; schedule: Schedule | undefined; csrf: string; back: string }> = ({
  pipeline,
  runs,
  schedule,
  csrf,
  back,
}) => {
  const last = runs[0];
  return (
    <tr data-pipeline={pipeline.name}>
      <td>
        <a href={`/console/pipelines/${pipeline.name}`}>{pipeline.name}</a>
        {pipeline.description && <div class="muted">{pipeline.description}</div>}
        <Labels labels={pipeline.labels} />
      </td>
      <td>{pipeline.activeVersion ?? '—'}</td>
      <td class="opt">
        <ScheduleCell schedule={schedule} csrf={csrf} back={back} />
      </td>
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
  const { query, page, recent, schedules } = data;
  const keep = { q: query.q, label: query.label };
  const back = withQuery('/console', { ...keep, cursor: query.cursor });
  const live = [...recent.values()].some((runs) => runs.some((r) => isLive(r.status)));
  const filtered = Boolean(query.q || query.label);
  return (
    <Layout title="Pipelines" csrf={csrf} refresh={live ? 5 : undefined}>
      <h1>Pipelines</h1>
      <Notice code={notice} />
      <FilterForm
        action="/console"
        search
        fields={[
          { name: 'q', label: 'Name contains', value: query.q },
          { name: 'label', label: 'Label (key=value)', value: query.label, placeholder: 'team=data' },
        ]}
      />
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
                <Row pipeline={p} runs={recent.get(p.id) ?? []} schedule={schedules.get(p.id)} csrf={csrf} back={back} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <Pager path="/console" keep={keep} cursor={query.cursor} nextCursor={page.nextCursor} />
    </Layout>
  );
};
