/**
 * Run and task-run writes go through one prepared statement per patch shape where the driver
 * allows it (functions/core/statements.ts), and are built per call elsewhere. On every driver,
 * a statement must set exactly the fields its own call names, with its own call's values.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { migrateDatabase } from '../../db/migrate';
import { NotFoundError, PreconditionFailedError, StateConflictError, ValidationError } from '../../functions/core/errors';
import { createPipeline } from '../../functions/core/pipelines';
import { createProject } from '../../functions/core/projects';
import { type RunPatch, createRun, getRun, updateRun } from '../../functions/core/runs';
import { startTaskRun, updateTaskRun } from '../../functions/core/task-runs';
import { registerVersion } from '../../functions/core/versions';
import { FRESH_DATABASES, type FreshDatabase, type FreshDatabaseFactory } from '../support/fresh-databases';

const drivers = Object.fromEntries(Object.entries(FRESH_DATABASES).filter((entry): entry is [string, FreshDatabaseFactory] => entry[1] !== undefined));

const definition = {
  stages: [
    { id: 'build', tasks: [{ id: 'compile', task: 'compile' }] },
    { id: 'test', dependsOn: ['build'] },
  ],
};

describe.each(Object.keys(drivers))('run writes on %s', (name) => {
  let subject: FreshDatabase;
  let database: Database;

  beforeAll(async () => {
    subject = await drivers[name]!('run_writes');
    database = subject.database;
    await migrateDatabase(database);
  });
  afterAll(() => subject?.teardown());

  async function newPipeline() {
    const db = database.db;
    const project = await createProject({ db, input: { name: 'run-writes' } });
    const { pipeline } = await createPipeline({ db, input: { projectId: project.id, name: 'ci', definition } });
    return { db, projectId: project.id, pipelineId: pipeline.id };
  }

  it('each patch sets only the fields it names, whatever patch came before', async () => {
    const { db, projectId, pipelineId } = await newPipeline();
    const run = await createRun({ db, input: { projectId, pipelineId, input: { commit: 'abc' } } });
    const patch = (p: RunPatch) => updateRun({ db, input: { projectId, runId: run.id, patch: p } });

    await patch({ status: 'running' });
    await patch({ currentStage: 'build', stageResults: { build: { ok: true } } });
    await patch({ output: { partial: 1 } });
    let current = await getRun({ db, input: { projectId, runId: run.id } });
    expect(current).toMatchObject({ status: 'running', currentStage: 'build', stageResults: { build: { ok: true } }, output: { partial: 1 } });

    await patch({ stageResults: { test: { passed: 3 } } });
    await patch({ currentStage: null, output: null });
    current = await getRun({ db, input: { projectId, runId: run.id } });
    expect(current).toMatchObject({ currentStage: null, output: null, input: { commit: 'abc' } });
    expect(current.stageResults).toEqual({ build: { ok: true }, test: { passed: 3 } });

    const done = await patch({ status: 'succeeded', output: { artifact: 'a.tgz' } });
    expect(done).toMatchObject({ status: 'succeeded', output: { artifact: 'a.tgz' }, error: null, revision: 7 });
    expect(done.completedAt).not.toBeNull();
  });

  it('compares If-Match with each call’s own revision', async () => {
    const { db, projectId, pipelineId } = await newPipeline();
    const run = await createRun({ db, input: { projectId, pipelineId } });
    const moved = await updateRun({ db, input: { projectId, runId: run.id, ifMatch: run.revision, patch: { currentStage: 'build' } } });
    expect(moved.revision).toBe(run.revision + 1);
    await expect(updateRun({ db, input: { projectId, runId: run.id, ifMatch: run.revision, patch: { currentStage: 'test' } } })).rejects.toBeInstanceOf(
      PreconditionFailedError,
    );
    const again = await updateRun({ db, input: { projectId, runId: run.id, ifMatch: moved.revision, patch: { currentStage: 'test' } } });
    expect(again.currentStage).toBe('test');
  });

  it('keeps concurrent writes of one shape to different runs apart', async () => {
    const { db, projectId, pipelineId } = await newPipeline();
    const runs = await Promise.all(Array.from({ length: 12 }, (_, i) => createRun({ db, input: { projectId, pipelineId, input: { i } } })));
    const updated = await Promise.all(
      runs.map((run, i) => updateRun({ db, input: { projectId, runId: run.id, patch: { currentStage: `stage-${i}`, output: { i } } } })),
    );
    for (const [i, run] of updated.entries()) expect(run).toMatchObject({ id: runs[i]!.id, currentStage: `stage-${i}`, output: { i }, input: { i } });
  });

  it('pins a run to the active version or to the one named, and tells a missing pipeline from a missing version', async () => {
    const { db, projectId, pipelineId } = await newPipeline();
    const second = { stages: [...definition.stages, { id: 'deploy', dependsOn: ['test'] }] };
    await registerVersion({ db, input: { projectId, pipelineId, definition: second } });
    expect((await createRun({ db, input: { projectId, pipelineId } })).version).toBe(1);
    expect((await createRun({ db, input: { projectId, pipelineId, version: 2 } })).version).toBe(2);
    await expect(createRun({ db, input: { projectId, pipelineId, version: 3 } })).rejects.toThrow('version "3" was not found');
    await expect(createRun({ db, input: { projectId, pipelineId: 'pl_missing' } })).rejects.toThrow('pipeline "pl_missing" was not found');
    const other = await newPipeline();
    await expect(createRun({ db, input: { projectId: other.projectId, pipelineId } })).rejects.toBeInstanceOf(NotFoundError);
  });

  it('starts a task run only for a task of the run’s pinned definition, while the run is live', async () => {
    const { db, projectId, pipelineId } = await newPipeline();
    const run = await createRun({ db, input: { projectId, pipelineId } });
    const start = (stageId: string, taskId: string, extra: { attempt?: number; status?: 'running' } = {}) =>
      startTaskRun({ db, input: { projectId, runId: run.id, stageId, taskId, input: { n: 1 }, ...extra } });

    const task = await start('build', 'compile', { status: 'running' });
    expect(task).toMatchObject({ taskName: 'compile', status: 'running', attempt: 1, input: { n: 1 } });
    expect(task.startedAt).not.toBeNull();
    await expect(start('build', 'compile')).rejects.toBeInstanceOf(StateConflictError);
    await expect(start('deploy', 'compile')).rejects.toThrow(ValidationError);
    await expect(start('build', 'link')).rejects.toThrow('unknown task');
    const other = await newPipeline();
    await expect(startTaskRun({ db, input: { projectId: other.projectId, runId: run.id, stageId: 'build', taskId: 'compile' } })).rejects.toBeInstanceOf(
      NotFoundError,
    );

    const done = await updateTaskRun({ db, input: { projectId, taskRunId: task.id, patch: { status: 'succeeded', output: { ok: 1 } } } });
    expect(done).toMatchObject({ status: 'succeeded', progress: 1, output: { ok: 1 } });
    await updateRun({ db, input: { projectId, runId: run.id, patch: { status: 'cancelled' } } });
    await expect(start('build', 'compile', { attempt: 2 })).rejects.toMatchObject({ code: 'run_finished' });
  });

  it('each task-run patch sets only its own fields', async () => {
    const { db, projectId, pipelineId } = await newPipeline();
    const run = await createRun({ db, input: { projectId, pipelineId } });
    const task = await startTaskRun({ db, input: { projectId, runId: run.id, stageId: 'build', taskId: 'compile', status: 'running' } });
    const patch = (p: Parameters<typeof updateTaskRun>[0]['input']['patch']) => updateTaskRun({ db, input: { projectId, taskRunId: task.id, patch: p } });
    await patch({ progress: 0.25, messages: ['fetching'] });
    await patch({ messages: ['compiling'] });
    await patch({ output: { partial: true } });
    const current = await patch({ progress: 0.5 });
    expect(current).toMatchObject({ progress: 0.5, messages: ['fetching', 'compiling'], output: { partial: true }, error: null });
  });
});
