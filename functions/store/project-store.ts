import type { DbOrTx } from '../../db/client';
import { listActivations } from '../core/activations';
import { deleteDlqEntry, getDlqEntry, listDlq, replayDlqEntry } from '../core/dlq';
import { getTaskResult, putTaskResult } from '../core/idempotency';
import type { PageRequest } from '../core/pagination';
import { resolvePipelineId } from '../core/pipeline-ref';
import { activateVersion, createPipeline, deletePipeline, getPipeline, listPipelines, updatePipeline } from '../core/pipelines';
import { listServices, listTaskHistory, registerService } from '../core/registry';
import { listProjectRuns } from '../core/run-queries';
import { runStats } from '../core/run-stats';
import { cancelRun, createRun, getRun, heartbeatRun, listRuns, updateRun } from '../core/runs';
import { listSchedules, pauseSchedule, resumeSchedule } from '../core/schedules';
import { getTaskRun, listProjectTaskRuns } from '../core/task-run-queries';
import { listTaskRuns, startTaskRun, updateTaskRun } from '../core/task-runs';
import { diffVersions } from '../core/version-diff';
import { getVersion, listVersions, registerVersion } from '../core/versions';
import type { Store } from './store';
import { tags } from './tags';

/** A core function's input without the tenant, which the project store supplies. */
type In<F> = F extends (args: { db: DbOrTx; input: infer I }) => unknown ? Omit<I, 'projectId'> : never;
/** The same for the core functions that take their arguments flat (`{ db, projectId, … }`). */
type Flat<F> = F extends (args: infer A) => unknown ? Omit<A, 'db' | 'projectId'> : never;
/** An operation on a pipeline named by a path: its id (pl_…) or its name. */
type OnPipeline<I> = Omit<I, 'pipelineId' | 'pipelineIdOrName' | 'id'> & { pipeline: string };

/**
 * Everything a project key may read and write, through the request's Store: cached reads, and
 * each write beside what it invalidates. The tenant is bound here once; the core functions still
 * receive it as `input.projectId`. Writes that change nothing the memory layer holds say so with
 * `[]`, so adding a cached read means looking at every write in this one file.
 */
export class ProjectStore {
  constructor(
    private readonly store: Store,
    readonly projectId: string,
  ) {}

  private get db() {
    return this.store.db;
  }

  private with<I extends object>(input: I): I & { projectId: string } {
    return { ...input, projectId: this.projectId };
  }

  /** The pipeline a path names, by id or by name: every route under /v1/pipelines/{id} asks this. */
  pipelineId(ref: string): Promise<string> {
    return resolvePipelineId({ db: this.db, input: this.with({ ref }) });
  }

  // Pipelines: cached per project (by id and by name), so every metadata write drops the project's.

  getPipeline(idOrName: string) {
    const { projectId } = this;
    return this.store.cached(`pipeline:${projectId}:${idOrName}`, { tags: [tags.project(projectId), tags.pipelines(projectId)] }, () =>
      getPipeline({ db: this.db, input: { projectId, idOrName } }),
    );
  }

  listPipelines(page: PageRequest) {
    const input = this.with(page);
    return this.store.list('pipelines', input, () => listPipelines({ db: this.db, input }));
  }

  createPipeline(input: In<typeof createPipeline>) {
    return this.store.write(() => createPipeline({ db: this.db, input: this.with(input) }), []);
  }

  async updatePipeline({ pipeline, ...rest }: OnPipeline<In<typeof updatePipeline>>) {
    const input = this.with({ ...rest, id: await this.pipelineId(pipeline) });
    return this.store.write(() => updatePipeline({ db: this.db, input }), [tags.pipelines(this.projectId)]);
  }

  /** Deletes the pipeline with its versions and runs: all three leave memory with it. */
  async deletePipeline({ pipeline, ...rest }: OnPipeline<In<typeof deletePipeline>>) {
    const input = this.with({ ...rest, id: await this.pipelineId(pipeline) });
    const dropped = [tags.pipelines(this.projectId), tags.pipeline(this.projectId, input.id)];
    return this.store.write(() => deletePipeline({ db: this.db, input }), dropped);
  }

  async activateVersion({ pipeline, ...rest }: OnPipeline<In<typeof activateVersion>>) {
    const input = this.with({ ...rest, id: await this.pipelineId(pipeline) });
    return this.store.write(() => activateVersion({ db: this.db, input }), [tags.pipelines(this.projectId)]);
  }

  // Versions: immutable, cached until their pipeline goes. A new version changes no cached one.

  async getVersion({ pipeline, numberOrHash }: OnPipeline<In<typeof getVersion>>) {
    const { projectId } = this;
    const pipelineId = await this.pipelineId(pipeline);
    const policy = { immutable: true, tags: [tags.project(projectId), tags.pipeline(projectId, pipelineId)] };
    return this.store.cached(`version:${projectId}:${pipelineId}:${numberOrHash}`, policy, () =>
      getVersion({ db: this.db, input: { projectId, pipelineId, numberOrHash } }),
    );
  }

  async listVersions({ pipeline, ...page }: OnPipeline<In<typeof listVersions>>) {
    const input = this.with({ ...page, pipelineId: await this.pipelineId(pipeline) });
    return this.store.list('versions', input, () => listVersions({ db: this.db, input }));
  }

  async registerVersion({ pipeline, ...rest }: OnPipeline<In<typeof registerVersion>>) {
    const input = this.with({ ...rest, pipelineId: await this.pipelineId(pipeline) });
    return this.store.write(() => registerVersion({ db: this.db, input }), []);
  }

  listActivations({ pipeline, ...rest }: OnPipeline<Flat<typeof listActivations>>) {
    return listActivations({ db: this.db, projectId: this.projectId, pipelineIdOrName: pipeline, ...rest });
  }

  diffVersions({ pipeline, ...rest }: OnPipeline<Flat<typeof diffVersions>>) {
    return diffVersions({ db: this.db, projectId: this.projectId, pipelineIdOrName: pipeline, ...rest });
  }

  // Runs: cached by id, tagged with their pipeline (deleting it deletes them) and their own tag.

  getRun(runId: string) {
    const { projectId } = this;
    const runTags = (run: { pipelineId: string }) => [tags.project(projectId), tags.pipeline(projectId, run.pipelineId), tags.run(projectId, runId)];
    const policy = { tags: runTags };
    return this.store.cached(`run:${projectId}:${runId}`, policy, () => getRun({ db: this.db, input: { projectId, runId } }));
  }

  async listRuns({ pipeline, ...page }: OnPipeline<In<typeof listRuns>>) {
    const input = this.with({ ...page, pipelineId: await this.pipelineId(pipeline) });
    return this.store.list('runs', input, () => listRuns({ db: this.db, input }));
  }

  async createRun({ pipeline, ...rest }: OnPipeline<In<typeof createRun>>) {
    const input = this.with({ ...rest, pipelineId: await this.pipelineId(pipeline) });
    return this.store.write(() => createRun({ db: this.db, input }), []);
  }

  updateRun(input: In<typeof updateRun>) {
    return this.store.write(() => updateRun({ db: this.db, input: this.with(input) }), [tags.run(this.projectId, input.runId)]);
  }

  heartbeatRun(runId: string) {
    return this.store.write(() => heartbeatRun({ db: this.db, input: this.with({ runId }) }), [tags.run(this.projectId, runId)]);
  }

  cancelRun(input: In<typeof cancelRun>) {
    return this.store.write(() => cancelRun({ db: this.db, input: this.with(input) }), [tags.run(this.projectId, input.runId)]);
  }

  listProjectRuns(query: Flat<typeof listProjectRuns>) {
    return listProjectRuns({ db: this.db, projectId: this.projectId, ...query });
  }

  runStats(query: Flat<typeof runStats>) {
    return runStats({ db: this.db, projectId: this.projectId, ...query });
  }

  // Task runs, DLQ, registry, task results, schedules: read from Postgres every time, so their
  // writes drop nothing. A task run's writes never change its run's row.

  startTaskRun(input: In<typeof startTaskRun>) {
    return this.store.write(() => startTaskRun({ db: this.db, input: this.with(input) }), []);
  }

  updateTaskRun(input: In<typeof updateTaskRun>) {
    return this.store.write(() => updateTaskRun({ db: this.db, input: this.with(input) }), []);
  }

  listTaskRuns(input: In<typeof listTaskRuns>) {
    return listTaskRuns({ db: this.db, input: this.with(input) });
  }

  getTaskRun(taskRunId: string) {
    return getTaskRun({ db: this.db, projectId: this.projectId, taskRunId });
  }

  listProjectTaskRuns(query: Flat<typeof listProjectTaskRuns>) {
    return listProjectTaskRuns({ db: this.db, projectId: this.projectId, ...query });
  }

  listDlq(page: PageRequest) {
    return listDlq({ db: this.db, input: this.with(page) });
  }

  getDlqEntry(id: string) {
    return getDlqEntry({ db: this.db, input: this.with({ id }) });
  }

  replayDlqEntry(id: string) {
    return this.store.write(() => replayDlqEntry({ db: this.db, input: this.with({ id }) }), []);
  }

  deleteDlqEntry(id: string) {
    return this.store.write(() => deleteDlqEntry({ db: this.db, input: this.with({ id }) }), []);
  }

  registerService(input: In<typeof registerService>) {
    return this.store.write(() => registerService({ db: this.db, input: this.with(input) }), []);
  }

  listServices(page: PageRequest) {
    return listServices({ db: this.db, input: this.with(page) });
  }

  listTaskHistory(input: In<typeof listTaskHistory>) {
    return listTaskHistory({ db: this.db, input: this.with(input) });
  }

  putTaskResult(input: In<typeof putTaskResult>) {
    return this.store.write(() => putTaskResult({ db: this.db, input: this.with(input) }), []);
  }

  getTaskResult(key: string) {
    return getTaskResult({ db: this.db, input: this.with({ key }) });
  }

  listSchedules(input: In<typeof listSchedules>) {
    return listSchedules({ db: this.db, input: this.with(input) });
  }

  /** Pausing or resuming a schedule changes the pipeline (scheduleEnabled, nextRunAt). */
  async pauseSchedule({ pipeline, ...rest }: OnPipeline<In<typeof pauseSchedule>>) {
    const input = this.with({ ...rest, id: await this.pipelineId(pipeline) });
    return this.store.write(() => pauseSchedule({ db: this.db, input }), [tags.pipelines(this.projectId)]);
  }

  async resumeSchedule({ pipeline, ...rest }: OnPipeline<In<typeof resumeSchedule>>) {
    const input = this.with({ ...rest, id: await this.pipelineId(pipeline) });
    return this.store.write(() => resumeSchedule({ db: this.db, input }), [tags.pipelines(this.projectId)]);
  }
}
