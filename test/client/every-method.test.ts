/**
 * Every method of the client once, against `npm start` (real PostgreSQL in CI): a walk through a
 * pipeline's life, admin to dead-letter queue. The requests are matched back to operations and the
 * walk must have called every operation of /openapi.json.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, PipestoreError } from '../../functions/client';
import { operationTable } from '../../functions/client/operations';
import { ADMIN_TOKEN, operationOf, recordingFetch, startPipestore } from './support/pipestore-server';

describe('the client against npm start', () => {
  let server: Awaited<ReturnType<typeof startPipestore>>;
  beforeAll(async () => {
    server = await startPipestore();
  }, 240_000);
  afterAll(() => server?.stop());

  it('calls every operation once', { timeout: 120_000 }, async () => {
    const { fetch, requests } = recordingFetch();
    const admin = createClient({ baseUrl: server.url, apiKey: ADMIN_TOKEN, fetch });
    expect((await admin.health.get()).status).toBe('ok');

    const project = await admin.projects.create({ body: { name: 'every-method' } });
    expect((await admin.projects.list({ limit: 1 }).page()).items).toHaveLength(1);
    const key = await admin.keys.create({ id: project.id, body: { name: 'worker' } });
    const spare = await admin.keys.create({ id: project.id });
    expect(await admin.keys.revoke({ id: project.id, keyId: spare.id })).toBeUndefined();
    expect((await admin.keys.list({ id: project.id }).toArray()).map((k) => k.id).sort()).toEqual([key.id, spare.id].sort());
    const throwaway = await admin.projects.create({ body: { name: 'every-method-throwaway' } });
    expect(await admin.projects.delete({ id: throwaway.id, ifMatch: throwaway.revision })).toBeUndefined();

    const api = createClient({ baseUrl: server.url, apiKey: key.key, fetch });
    const definition = { stages: [{ id: 'build', tasks: [{ id: 'compile', task: 'compile' }] }] };
    const created = await api.pipelines.create({ body: { name: 'every-method', definition } }).withResponse();
    expect(created.status).toBe(201);
    const pipeline = created.data;
    expect((await api.pipelines.list().toArray()).map((p) => p.id)).toEqual([pipeline.id]);
    expect((await api.pipelines.get({ id: 'every-method' })).id).toBe(pipeline.id);
    const described = await api.pipelines.update({ id: pipeline.id, ifMatch: pipeline.revision, body: { description: 'walks every method' } });
    expect(described.revision).toBe(pipeline.revision + 1);
    const labelled = await api.pipelines.modify(pipeline.id, (p) => ({ labels: { ...p.labels, team: 'client' } }));
    expect(labelled.labels).toEqual({ team: 'client' });

    const v2 = await api.versions.register({ id: pipeline.id, body: { definition: { stages: [...definition.stages, { id: 'ship', dependsOn: ['build'] }] } } });
    expect(v2.number).toBe(2);
    expect((await api.versions.list({ id: pipeline.id }).toArray()).map((v) => v.number)).toEqual([2, 1]);
    expect((await api.versions.get({ id: pipeline.id, numberOrHash: v2.hash })).number).toBe(2);
    const activated = await api.pipelines.activate({ id: pipeline.id, ifMatch: labelled.revision, body: { version: 1 } });
    expect(activated.activeVersion).toBe(1);
    const diff = await api.versions.diff({ id: pipeline.id, a: '1', b: '2' });
    expect(diff.stages.added).toEqual(['ship']);
    // Creating with a definition activated version 1; activating it again records nothing.
    expect((await api.pipelines.activations({ id: 'every-method' }).toArray()).map((a) => [a.fromVersion, a.toVersion])).toEqual([[null, 1]]);

    const service = await api.services.register({
      id: 'builder',
      body: { version: '1.0.0', tasks: [{ id: 'compile', codeHash: 'sha256:aa', maxAttempts: 1 }] },
    });
    expect(service.tasks.map((t) => t.id)).toEqual(['compile']);
    expect((await api.services.list().toArray()).map((s) => s.id)).toEqual(['builder']);
    expect((await api.tasks.history({ id: 'compile' }).toArray()).map((h) => h.newHash)).toEqual(['sha256:aa']);
    // The pipeline has no cron: nothing is scheduled.
    expect(await api.schedules.list().toArray()).toEqual([]);

    const run = await api.runs.create({ id: pipeline.id, body: { input: { ref: 'main' } } });
    expect((await api.runs.list({ pipeline: 'every-method', status: ['pending', 'running'] }).toArray()).map((r) => r.id)).toEqual([run.id]);
    expect((await api.runs.listForPipeline({ id: pipeline.id, status: 'pending' }).toArray()).map((r) => r.id)).toEqual([run.id]);
    expect((await api.runs.get({ id: run.id })).status).toBe('pending');
    const running = await api.runs.update({ id: run.id, ifMatch: run.revision, body: { status: 'running', currentStage: 'build' } });
    expect((await api.runs.heartbeat({ id: run.id })).status).toBe('running');
    const merged = await api.runs.modify(run.id, () => ({ stageResults: { build: { ok: false } } }));
    expect(merged.revision).toBe(running.revision + 1);

    const taskRun = await api.taskRuns.start({ id: run.id, body: { stageId: 'build', taskId: 'compile', status: 'running' } });
    expect((await api.taskRuns.listForRun({ id: run.id }).toArray()).map((t) => t.id)).toEqual([taskRun.id]);
    expect((await api.taskRuns.list({ taskId: 'compile', status: 'running' }).toArray()).map((t) => t.id)).toEqual([taskRun.id]);
    expect((await api.taskRuns.get({ id: taskRun.id })).revision).toBe(taskRun.revision);
    const failed = await api.taskRuns.update({ id: taskRun.id, ifMatch: taskRun.revision, body: { status: 'failed', error: { message: 'compiler crashed' } } });
    expect(failed.status).toBe('failed');

    const [entry] = await api.dlq.list().toArray();
    expect(entry).toMatchObject({ taskRunId: taskRun.id, attempts: 1 });
    expect((await api.dlq.get({ id: entry!.id })).id).toBe(entry!.id);
    const replay = await api.dlq.replay({ id: entry!.id });
    expect(replay).toMatchObject({ attempt: 2, status: 'pending' });
    expect(await api.dlq.delete({ id: entry!.id })).toBeUndefined();

    await api.taskResults.put({ key: `compile:${run.id}`, body: { result: { artifact: 'a.out' }, ttlSeconds: 60 } });
    expect((await api.taskResults.get({ key: `compile:${run.id}` })).result).toEqual({ artifact: 'a.out' });

    const cancelled = await api.runs.cancel({ id: run.id, body: { reason: 'walk done' } });
    expect(cancelled.status).toBe('cancelled');
    expect((await api.runs.stats({ since: '1h' })).total.counts).toMatchObject({ cancelled: 1, pending: 0 });
    const missing = await api.runs.get({ id: 'run_missing' }).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(PipestoreError);
    expect(missing).toMatchObject({ status: 404, code: 'not_found' });
    expect(await api.pipelines.delete({ id: pipeline.id, ifMatch: activated.revision })).toBeUndefined();

    const called = new Set(requests.map((r) => operationOf(r.method, r.url)));
    expect(Object.keys(operationTable).filter((id) => !called.has(id as never))).toEqual([]);
  });
});
