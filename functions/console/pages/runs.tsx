import type { FC } from 'hono/jsx';
import { RUN_STATUSES, RUN_TRIGGERS, type RunStatus, type RunTrigger } from '../../../db/schema';
import { searchPipelines } from '../../core/pipeline-search';
import { listProjectRuns } from '../../core/run-queries';
import { runStats } from '../../core/run-stats';
import type { PageContext } from '../env';
import { Empty, Layout, Status, formatDuration, withQuery } from '../layout';
import { FilterForm, Pager } from '../list-controls';
import { RunTable, isLive, statusField, type RunRow } from './shared';

export interface RunListQuery {
  pipeline?: string;
  status?: RunStatus;
  trigger?: RunTrigger;
  /** `key=value`: the run's pipeline carries this label. */
  label?: string;
  /** A window back from now: 1h, 24h, 7d or 30d. */
  since?: string;
  cursor?: string;
}

const PAGE = 50;
export const WINDOWS: Record<string, number> = { '1h': 3600_000, '24h': 86_400_000, '7d': 7 * 86_400_000, '30d': 30 * 86_400_000 };

export const asTrigger = (value: string | undefined): RunTrigger | undefined =>
  (RUN_TRIGGERS as readonly string[]).includes(value ?? '') ? (value as RunTrigger) : undefined;

/**
 * The project's runs with the run-query filters (pipeline, status, trigger, label, window), and
 * the status counts and durations of the window on top: listProjectRuns and runStats, the core
 * behind GET /v1/runs and GET /v1/runs/stats, read side by side with the pipeline names for the
 * filter bar.
 */
export async function loadRunList(ctx: PageContext, query: RunListQuery) {
  const [key, ...rest] = (query.label ?? '').split('=');
  const label = key && rest.length ? { key: key.trim(), value: rest.join('=').trim() } : undefined;
  const window = query.since ? WINDOWS[query.since] : undefined;
  const createdAfter = window ? new Date(Date.now() - window) : undefined;
  const filters = {
    ...(query.pipeline && { pipelines: [query.pipeline] }),
    ...(query.status && { statuses: [query.status] }),
    ...(query.trigger && { triggers: [query.trigger] }),
    ...(label && { labels: [label] }),
    ...(createdAfter && { createdAfter }),
  };
  // A pipeline this project does not have is the console's 404 (the API's list would say 400).
  const pipeline = query.pipeline ? await ctx.store.getPipeline(query.pipeline) : undefined;
  const [pipelines, page, stats] = await Promise.all([
    searchPipelines({ db: ctx.db, input: { projectId: ctx.projectId, limit: 200 } }),
    listProjectRuns({ db: ctx.db, projectId: ctx.projectId, filters, cursor: query.cursor, limit: PAGE }),
    // Filtered by a pipeline, only its rollups and runs are read: the counts shown are its own.
    runStats({ db: ctx.db, projectId: ctx.projectId, since: createdAfter, pipelineIds: pipeline && [pipeline.id] }),
  ]);
  const runs: RunRow[] = page.items;
  const counts = stats.total;
  return { query, pipelines: pipelines.items, runs, nextCursor: page.nextCursor, stats, counts };
}

type Data = Awaited<ReturnType<typeof loadRunList>>;

export const RunListPage: FC<{ data: Data; csrf: string }> = ({ data, csrf }) => {
  const { query, pipelines, runs, nextCursor, counts, stats } = data;
  const keep = { pipeline: query.pipeline, status: query.status, trigger: query.trigger, label: query.label, since: query.since };
  const live = runs.some((r) => isLive(r.status));
  return (
    <Layout title="Runs" csrf={csrf} refresh={live ? 5 : undefined}>
      <h1>Runs</h1>
      <FilterForm
        action="/console/runs"
        fields={[
          { name: 'pipeline', label: 'Pipeline', value: query.pipeline, any: 'all', options: pipelines.map((p) => p.name) },
          statusField(query.status),
          { name: 'trigger', label: 'Trigger', value: query.trigger, any: 'any', options: RUN_TRIGGERS },
          { name: 'label', label: 'Label (key=value)', value: query.label, placeholder: 'team=data' },
          { name: 'since', label: 'Created in the last', value: query.since, any: 'any time', options: Object.keys(WINDOWS) },
        ]}
      />
      <section class="grid" data-counts aria-label="Runs created in the window">
        <dl>
          <dt>{`Since ${stats.since.slice(0, 16).replace('T', ' ')} UTC`}</dt>
          <dd>{counts ? `${counts.total} runs` : '0 runs'}</dd>
          <dt>Duration p50 / p95</dt>
          <dd>
            {counts?.durationMs.p50 != null
              ? `${formatDuration(Math.round(counts.durationMs.p50))} / ${formatDuration(Math.round(counts.durationMs.p95 ?? 0))}`
              : '—'}
          </dd>
        </dl>
        <dl>
          {RUN_STATUSES.map((s) => (
            <>
              <dt>
                <a href={withQuery('/console/runs', { ...keep, status: s, cursor: undefined })}>
                  <Status status={s} />
                </a>
              </dt>
              <dd>{String(counts?.counts[s] ?? 0)}</dd>
            </>
          ))}
        </dl>
      </section>
      {runs.length === 0 ? <Empty>No runs match: trigger one from a pipeline's page.</Empty> : <RunTable runs={runs} showPipeline />}
      <Pager path="/console/runs" keep={keep} cursor={query.cursor} nextCursor={nextCursor} />
    </Layout>
  );
};
