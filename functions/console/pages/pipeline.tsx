import type { FC } from 'hono/jsx';
import { RUN_STATUSES, type RunStatus } from '../../../db/schema';
import { listActivations } from '../../core/activations';
import { recentRunsOfPipelines, RECENT_RUNS_MAX } from '../../core/run-summaries';
import { listRuns } from '../../core/runs';
import { listSchedules } from '../../core/schedules';
import { listVersions } from '../../core/versions';
import type { PageContext } from '../env';
import { DefinitionGraph } from '../graph';
import { ActionButton, Ago, CsrfField, Empty, Json, Labels, Layout, Notice, ShortId, withQuery } from '../layout';
import { FilterForm, Pager } from '../list-controls';
import { RunChart } from '../run-chart';
import { ScheduleDetails } from '../schedule';
import { RunTable, isLive, statusField } from './shared';
import { VersionDiffForm } from './version-diff';

export interface PipelinePageQuery {
  name: string;
  status?: RunStatus;
  cursor?: string;
  /** The version whose graph is shown (default: the active one). */
  version?: number;
}

export const asRunStatus = (value: string | undefined): RunStatus | undefined =>
  (RUN_STATUSES as readonly string[]).includes(value ?? '') ? (value as RunStatus) : undefined;

/**
 * Round trips (warm): the pipeline comes from the memory layer; its versions (with their
 * definitions), a page of its runs, its activation history and its schedule are read side by side,
 * with the recent runs the chart draws when the page of runs is filtered or paged (else it is that
 * page); a shown version older than the newest 20 is one more (immutable, cached) read.
 */
export async function loadPipelinePage(ctx: PageContext, query: PipelinePageQuery) {
  const pipeline = await ctx.store.getPipeline(query.name);
  const scope = { projectId: ctx.projectId, pipelineId: pipeline.id };
  const unfiltered = !query.status && !query.cursor;
  const [versions, runs, activations, schedules, recent] = await Promise.all([
    listVersions({ db: ctx.db, input: { ...scope, limit: 20 } }),
    listRuns({ db: ctx.db, input: { ...scope, status: query.status, cursor: query.cursor, limit: 50 } }),
    listActivations({ db: ctx.db, projectId: ctx.projectId, pipelineIdOrName: pipeline.id, limit: 10 }),
    // Read here rather than taken from the cached pipeline: the latest slot's run is not on it.
    pipeline.schedule ? listSchedules({ db: ctx.db, input: { projectId: ctx.projectId, pipelineIds: [pipeline.id], limit: 1 } }) : undefined,
    // Unfiltered, the first page of runs is the chart's data already (the newest 50).
    unfiltered ? undefined : recentRunsOfPipelines({ db: ctx.db, input: { ...scope, pipelineIds: [pipeline.id], perPipeline: RECENT_RUNS_MAX } }),
  ]);
  const shownNumber = query.version ?? pipeline.activeVersion ?? versions.items[0]?.number;
  const shown =
    versions.items.find((v) => v.number === shownNumber) ??
    (shownNumber ? await ctx.store.getVersion({ pipeline: pipeline.id, numberOrHash: String(shownNumber) }) : undefined);
  return {
    query,
    pipeline,
    versions,
    runs,
    shown,
    activations: activations.items,
    schedule: schedules?.items[0],
    chart: recent ? (recent.get(pipeline.id) ?? []) : runs.items,
  };
}

type Data = Awaited<ReturnType<typeof loadPipelinePage>>;

export const PipelinePage: FC<{ data: Data; csrf: string; notice?: string }> = ({ data, csrf, notice }) => {
  const { query, pipeline, versions, runs, shown, activations, schedule, chart } = data;
  // The form starts on the question usually asked: what the newest version changes against the
  // active one (or against the one before it, when the newest is active).
  const diffTo = versions.items[0]?.number;
  const diffFrom = pipeline.activeVersion !== null && pipeline.activeVersion !== diffTo ? pipeline.activeVersion : versions.items[1]?.number;
  const base = `/console/pipelines/${pipeline.name}`;
  const live = runs.items.some((r) => isLive(r.status));
  return (
    <Layout title={pipeline.name} csrf={csrf} refresh={live ? 5 : undefined}>
      <h1>{pipeline.name}</h1>
      <Notice code={notice} />
      <section class="grid">
        <dl>
          <dt>Description</dt>
          <dd>{pipeline.description ?? <span class="muted">—</span>}</dd>
          <dt>Labels</dt>
          <dd>
            <Labels labels={pipeline.labels} />
          </dd>
          <dt>Schedule</dt>
          <dd>
            {schedule ? (
              <a href="#schedule">
                <code>{schedule.expression}</code>
                {schedule.enabled ? '' : ' (paused)'}
              </a>
            ) : (
              <span class="muted">none</span>
            )}
          </dd>
        </dl>
        <dl>
          <dt>Active version</dt>
          <dd data-active-version={String(pipeline.activeVersion ?? '')}>{pipeline.activeVersion ?? '—'}</dd>
          <dt>Revision</dt>
          <dd>{pipeline.revision}</dd>
          <dt>Id</dt>
          <dd>
            <ShortId id={pipeline.id} />
          </dd>
          <dt>Updated</dt>
          <dd>
            <Ago at={pipeline.updatedAt} />
          </dd>
        </dl>
      </section>

      <h2 id="schedule">Schedule</h2>
      <ScheduleDetails schedule={schedule} csrf={csrf} />

      <h2 id="graph">{shown ? `Definition: version ${shown.number}${shown.number === pipeline.activeVersion ? ' (active)' : ''}` : 'Definition'}</h2>
      {shown && <DefinitionGraph definition={shown.definition} hash={shown.hash} />}
      {shown && (
        <details>
          <summary>Definition as JSON</summary>
          <Json value={shown.definition} />
        </details>
      )}

      <h2>Versions</h2>
      <div class="scroll">
        <table>
          <thead>
            <tr>
              <th>Version</th>
              <th>Hash</th>
              <th class="opt">Source hash</th>
              <th>Registered</th>
              <th></th>
            </tr>
          </thead>
          <tbody>
            {versions.items.map((v) => (
              <tr data-version={String(v.number)}>
                <td>
                  <a href={`${withQuery(base, { version: String(v.number) })}#graph`}>{`v${v.number}`}</a>
                  {v.number === pipeline.activeVersion && <strong> active</strong>}
                </td>
                <td>
                  <code title={v.hash}>{v.hash.slice(0, 12)}</code>
                </td>
                <td class="opt">{v.sourceHash ? <code title={v.sourceHash}>{v.sourceHash.slice(0, 12)}</code> : <span class="muted">—</span>}</td>
                <td>
                  <Ago at={v.createdAt} />
                </td>
                <td>
                  {v.number !== pipeline.activeVersion && (
                    // Conditional on the revision this page showed: a page gone stale gets a
                    // "changed since you loaded it" notice, never a silent overwrite.
                    <ActionButton action={`${base}/activate`} csrf={csrf} fields={{ version: String(v.number), revision: String(pipeline.revision) }}>
                      {`Activate v${v.number}`}
                    </ActionButton>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>

      <h2 id="diff">Compare versions</h2>
      <VersionDiffForm base={base} versions={versions.items} from={diffFrom} to={diffTo} />

      <h2 id="activations">Activation history</h2>
      {activations.length === 0 ? (
        <Empty>No activations recorded yet.</Empty>
      ) : (
        <div class="scroll">
          <table>
            <thead>
              <tr>
                <th>When</th>
                <th>From → to</th>
                <th>By (API key id)</th>
              </tr>
            </thead>
            <tbody>
              {activations.map((a) => (
                <tr data-activation={String(a.id)}>
                  <td>
                    <Ago at={a.activatedAt} />
                  </td>
                  <td>{`${a.fromVersion === null ? '—' : `v${a.fromVersion}`} → v${a.toVersion}`}</td>
                  <td>{a.keyId ? <code>{a.keyId}</code> : <span class="muted">outside the API (sync, import)</span>}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}

      <h2>Trigger a run</h2>
      <form method="post" action={`${base}/runs`}>
        <CsrfField token={csrf} />
        <label>
          Input (JSON, optional)
          <textarea name="input" placeholder='{"branch": "main"}' spellcheck={false}></textarea>
        </label>
        <p>
          <button type="submit" class="primary">
            Trigger run
          </button>{' '}
          <span class="muted">{`on the active version (v${pipeline.activeVersion ?? '?'})`}</span>
        </p>
      </form>

      <h2 id="chart">Run durations and outcomes</h2>
      <RunChart runs={chart} />

      <h2 id="runs">Runs</h2>
      <FilterForm action={base} anchor="#runs" fields={[statusField(query.status)]} />
      {runs.items.length === 0 ? (
        <Empty>{query.status ? `No ${query.status} runs.` : 'No runs yet: trigger one above, or start one with POST /v1/pipelines/{id}/runs.'}</Empty>
      ) : (
        <RunTable runs={runs.items} />
      )}
      <Pager path={base} keep={{ status: query.status }} cursor={query.cursor} nextCursor={runs.nextCursor} anchor="#runs" />
    </Layout>
  );
};
