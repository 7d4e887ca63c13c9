import type { FC } from 'hono/jsx';
import { getRun } from '../../core/runs';
import type { TaskRun } from '../../core/run-views';
import { listTaskRuns } from '../../core/task-runs';
import type { PageContext } from '../env';
import { DefinitionGraph } from '../graph';
import { ActionButton, Ago, Duration, Empty, Json, Layout, Notice, ShortId, Status } from '../layout';
import { isLive } from './shared';

/**
 * Round trips: the run itself, read from Postgres (the page is watched live, so never a cached
 * copy), then its task runs beside its pipeline and pinned version (both usually from the memory
 * layer: versions are immutable).
 */
export async function loadRunPage(ctx: PageContext, { id }: { id: string }) {
  const run = await getRun({ db: ctx.db, input: { projectId: ctx.projectId, runId: id } });
  const [pipeline, version, taskRuns] = await Promise.all([
    ctx.store.getPipeline(run.pipelineId),
    ctx.store.getVersion({ pipeline: run.pipelineId, numberOrHash: String(run.version) }),
    listTaskRuns({ db: ctx.db, input: { projectId: ctx.projectId, runId: id, limit: 200 } }),
  ]);
  return { run, pipeline, version, taskRuns };
}

type Data = Awaited<ReturnType<typeof loadRunPage>>;

const TaskRunRow: FC<{ taskRun: TaskRun }> = ({ taskRun: t }) => (
  <tr data-task-run={t.id}>
    <td>
      <strong>{t.taskId}</strong> <span class="muted">{t.taskName}</span>
    </td>
    <td>
      <Status status={t.status} />
    </td>
    <td>{t.attempt}</td>
    <td class="opt">{`${Math.round(t.progress * 100)}%`}</td>
    <td>
      <Duration from={t.startedAt} to={t.completedAt} />
    </td>
    <td>
      {t.messages.length > 0 && (
        <ul>
          {t.messages.slice(-5).map((m) => (
            <li>{m}</li>
          ))}
        </ul>
      )}
      {t.error !== null && t.error !== undefined && (
        <details open>
          <summary>Error</summary>
          <Json value={t.error} />
        </details>
      )}
      {t.output !== null && t.output !== undefined && (
        <details>
          <summary>Output</summary>
          <Json value={t.output} />
        </details>
      )}
    </td>
  </tr>
);

export const RunPage: FC<{ data: Data; csrf: string; notice?: string }> = ({ data, csrf, notice }) => {
  const { run, pipeline, version, taskRuns } = data;
  const live = isLive(run.status);
  const byStage = new Map<string, TaskRun[]>();
  for (const t of taskRuns.items) byStage.set(t.stageId, [...(byStage.get(t.stageId) ?? []), t]);
  // The latest attempt of each task colors the graph.
  const latest = new Map<string, string>();
  for (const t of taskRuns.items) latest.set(`${t.stageId}/${t.taskId}`, t.status);
  return (
    <Layout title={`Run ${run.id}`} csrf={csrf} refresh={live ? 3 : undefined}>
      <h1>
        {'Run '}
        <ShortId id={run.id} /> <Status status={run.status} />
      </h1>
      <Notice code={notice} />
      <section class="grid">
        <dl>
          <dt>Pipeline</dt>
          <dd>
            <a href={`/console/pipelines/${pipeline.name}`}>{pipeline.name}</a>
            {` · version ${run.version}`}
          </dd>
          <dt>Status</dt>
          <dd data-run-status={run.status}>
            <Status status={run.status} />
            {run.currentStage && <span class="muted">{` in stage ${run.currentStage}`}</span>}
          </dd>
          <dt>Trigger</dt>
          <dd>
            {run.scheduledFor ? `${run.trigger} (slot ${run.scheduledFor})` : run.trigger}
            {(run.missedSlots ?? 0) > 0 && (
              <span class="missed">{` · ${run.missedSlots} earlier slot${run.missedSlots === 1 ? '' : 's'} passed without a run`}</span>
            )}
          </dd>
        </dl>
        <dl>
          <dt>Created</dt>
          <dd>
            <Ago at={run.createdAt} />
          </dd>
          <dt>Started</dt>
          <dd>
            <Ago at={run.startedAt} />
          </dd>
          <dt>Completed</dt>
          <dd>
            <Ago at={run.completedAt} />
          </dd>
          <dt>Duration</dt>
          <dd>
            <Duration from={run.startedAt} to={run.completedAt} />
          </dd>
          <dt>Heartbeat</dt>
          <dd>
            <Ago at={run.heartbeatAt} />
          </dd>
        </dl>
      </section>
      {live && (
        <ActionButton action={`/console/runs/${run.id}/cancel`} csrf={csrf} fields={{ revision: String(run.revision) }} variant="danger" block>
          Cancel run
        </ActionButton>
      )}

      <h2>Graph</h2>
      <DefinitionGraph definition={version.definition} hash={version.hash} taskStatus={(stage, task) => latest.get(`${stage}/${task}`)} />

      <h2>Stages and task runs</h2>
      {version.definition.stages.map((stage) => {
        const runsOfStage = byStage.get(stage.id) ?? [];
        const result = run.stageResults[stage.id];
        return (
          <section data-stage={stage.id}>
            <h3>{stage.name ? `${stage.name} (${stage.id})` : stage.id}</h3>
            {result !== undefined && (
              <details>
                <summary>Stage result</summary>
                <Json value={result} />
              </details>
            )}
            {runsOfStage.length === 0 ? (
              <p class="muted">No task runs yet.</p>
            ) : (
              <div class="scroll">
                <table>
                  <thead>
                    <tr>
                      <th>Task</th>
                      <th>Status</th>
                      <th>Attempt</th>
                      <th class="opt">Progress</th>
                      <th>Duration</th>
                      <th>Messages, error, output</th>
                    </tr>
                  </thead>
                  <tbody>
                    {runsOfStage.map((t) => (
                      <TaskRunRow taskRun={t} />
                    ))}
                  </tbody>
                </table>
              </div>
            )}
          </section>
        );
      })}
      {taskRuns.nextCursor && <Empty>More than 200 task runs: the first 200 are shown.</Empty>}

      <h2>Input, output, error</h2>
      <div class="grid">
        <div>
          <h3>Input</h3>
          <Json value={run.input} />
        </div>
        <div>
          <h3>Output</h3>
          <Json value={run.output} />
        </div>
        <div>
          <h3>Error</h3>
          <Json value={run.error} />
        </div>
      </div>
    </Layout>
  );
};
