import { and, count, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { dlq, services, tasks } from '../../db/schema';
import { newPipeline, newProject, testApi, type TestApi } from '../support/api';
import { runInStatus } from '../support/runs';

const TASK_STATUSES = ['pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled'];
const LEGAL: Record<string, string[]> = {
  pending: ['running', 'skipped', 'cancelled'],
  running: ['succeeded', 'failed', 'skipped', 'cancelled'],
};

describe('task runs and the dead-letter queue', () => {
  let api: TestApi;
  let project: Awaited<ReturnType<typeof newProject>>;
  let pipelineId: string;
  let runId: string;

  beforeAll(async () => {
    api = await testApi();
    project = await newProject(api);
    pipelineId = (await newPipeline(api, project.key)).id;
    runId = (await runInStatus(api, project.key, pipelineId, 'running')).id;
  });
  const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) =>
    api.call(method, path, { token: project.key, body, headers });

  let attemptCounter = 100;
  /** A task run of the "compile" task (registry name "compile") driven into `status`. */
  const taskInStatus = async (status: string, attempt = attemptCounter++) => {
    const start = await call('POST', `/v1/runs/${runId}/tasks`, { stageId: 'build', taskId: 'compile', attempt });
    expect(start.status).toBe(201);
    const path = `/v1/task-runs/${start.body.id}`;
    const steps: Record<string, string[]> = {
      pending: [],
      running: ['running'],
      succeeded: ['running', 'succeeded'],
      failed: ['running', 'failed'],
      skipped: ['skipped'],
      cancelled: ['cancelled'],
    };
    let current = start.body;
    for (const step of steps[status]!) current = (await call('PATCH', path, { status: step })).body;
    return current as { id: string; revision: number; status: string };
  };

  it('starts a task run of a task in the pinned definition, with its registry name', async () => {
    const res = await call('POST', `/v1/runs/${runId}/tasks`, { stageId: 'fetch', taskId: 'download', input: { url: 'x' } });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: expect.stringMatching(/^tr_/),
      runId,
      stageId: 'fetch',
      taskId: 'download',
      taskName: 'http.get',
      attempt: 1,
      status: 'pending',
      progress: 0,
      messages: [],
      input: { url: 'x' },
    });
    expect((await call('POST', `/v1/runs/${runId}/tasks`, { stageId: 'fetch', taskId: 'download' })).status).toBe(409);
  });

  it('refuses unknown stages and tasks (400) and finished runs (409)', async () => {
    const stage = await call('POST', `/v1/runs/${runId}/tasks`, { stageId: 'deploy', taskId: 'x' });
    expect(stage.status).toBe(400);
    expect(stage.body.errors[0].path).toBe('stageId');
    const task = await call('POST', `/v1/runs/${runId}/tasks`, { stageId: 'fetch', taskId: 'nope' });
    expect(task.body.errors[0].path).toBe('taskId');
    const done = await runInStatus(api, project.key, pipelineId, 'succeeded');
    expect((await call('POST', `/v1/runs/${done.id}/tasks`, { stageId: 'fetch', taskId: 'download' })).status).toBe(409);
    expect((await call('POST', '/v1/runs/run_missing/tasks', { stageId: 'fetch', taskId: 'download' })).status).toBe(404);
  });

  describe('state machine', () => {
    for (const from of TASK_STATUSES) {
      for (const to of TASK_STATUSES.filter((s) => s !== 'pending')) {
        const legal = LEGAL[from]?.includes(to) ?? false;
        it(`${from} -> ${to} is ${legal ? 'allowed' : 'a 409'}`, async () => {
          const task = await taskInStatus(from);
          const res = await call('PATCH', `/v1/task-runs/${task.id}`, { status: to });
          if (legal) {
            expect(res.status).toBe(200);
            expect(res.body.status).toBe(to);
            expect(res.body.completedAt === null).toBe(to === 'running');
          } else {
            expect(res.status).toBe(409);
            expect(res.body).toMatchObject({ code: 'illegal_transition', currentStatus: from });
          }
        });
      }
    }
  });

  it('reports progress and appends messages', async () => {
    const task = await taskInStatus('running');
    await call('PATCH', `/v1/task-runs/${task.id}`, { progress: 0.25, messages: ['downloaded'] });
    const res = await call('PATCH', `/v1/task-runs/${task.id}`, { progress: 0.5, messages: ['compiled', 'linked'] });
    expect(res.body).toMatchObject({ progress: 0.5, messages: ['downloaded', 'compiled', 'linked'] });
    expect((await call('PATCH', `/v1/task-runs/${task.id}`, { status: 'succeeded' })).body.progress).toBe(1);
  });

  it.each([
    [{ progress: 1.5 }, 'progress'],
    [{ progress: -0.1 }, 'progress'],
    [{ messages: [42] }, 'messages.0'],
    [{ messages: 'hello' }, 'messages'],
    [{ status: 'done' }, 'status'],
  ])('refuses %j with 400 and changes nothing', async (patch, path) => {
    const task = await taskInStatus('running');
    const res = await call('PATCH', `/v1/task-runs/${task.id}`, patch);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect((await call('GET', `/v1/runs/${runId}/tasks?limit=200`)).body.items.find((t: { id: string }) => t.id === task.id)).toMatchObject({
      revision: task.revision,
      progress: 0,
      messages: [],
    });
  });

  it('dead-letters the third failure of a task with max_attempts 3, and replay gives attempt 4', async () => {
    const { db } = api.database;
    await db.insert(services).values({ projectId: project.id, id: 'builder' });
    await db.insert(tasks).values({ projectId: project.id, id: 'compile', serviceId: 'builder', codeHash: 'h', maxAttempts: 3 });
    const run = await runInStatus(api, project.key, pipelineId, 'running');
    const failAttempt = async (attempt: number) => {
      const started = await call('POST', `/v1/runs/${run.id}/tasks`, { stageId: 'build', taskId: 'compile', attempt, status: 'running' });
      const failed = await call('PATCH', `/v1/task-runs/${started.body.id}`, { status: 'failed', error: { message: `boom ${attempt}` } });
      expect(failed.status).toBe(200);
      return failed.body;
    };
    const dlqCount = async () =>
      (
        await db
          .select({ n: count() })
          .from(dlq)
          .where(and(eq(dlq.projectId, project.id), eq(dlq.runId, run.id)))
      )[0]!.n;

    await failAttempt(1);
    await failAttempt(2);
    expect(await dlqCount()).toBe(0);
    const third = await failAttempt(3);
    expect(await dlqCount()).toBe(1);

    const entries = (await call('GET', '/v1/dlq')).body.items.filter((e: { runId: string }) => e.runId === run.id);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ taskRunId: third.id, attempts: 3, error: { message: 'boom 3' }, replayedAt: null });
    const entry = (await call('GET', `/v1/dlq/${entries[0].id}`)).body;
    expect(entry.payload).toMatchObject({ stageId: 'build', taskId: 'compile', taskName: 'compile' });

    const replay = await call('POST', `/v1/dlq/${entry.id}/replay`);
    expect(replay.status).toBe(201);
    expect(replay.body).toMatchObject({ attempt: 4, status: 'pending', stageId: 'build', taskId: 'compile' });
    const again = await call('POST', `/v1/dlq/${entry.id}/replay`);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(replay.body.id);
    expect((await call('GET', `/v1/dlq/${entry.id}`)).body).toMatchObject({ replayTaskRunId: replay.body.id, replayedAt: expect.any(String) });

    expect((await call('DELETE', `/v1/dlq/${entry.id}`)).status).toBe(204);
    expect((await call('POST', `/v1/dlq/${entry.id}/replay`)).status).toBe(404);
    expect((await call('GET', `/v1/dlq/${entry.id}`)).status).toBe(404);
    expect((await call('DELETE', `/v1/dlq/${entry.id}`)).status).toBe(404);
  });

  it('concurrent replays of one entry create one task run', async () => {
    const other = await newProject(api, 'replays');
    const pipeline = await newPipeline(api, other.key);
    const run = await runInStatus(api, other.key, pipeline.id, 'running');
    const otherCall = (method: string, path: string, body?: unknown) => api.call(method, path, { token: other.key, body });
    // Unregistered task: the default budget of 3 applies, so attempt 3 dead-letters.
    const started = await otherCall('POST', `/v1/runs/${run.id}/tasks`, { stageId: 'build', taskId: 'compile', attempt: 3, status: 'running' });
    await otherCall('PATCH', `/v1/task-runs/${started.body.id}`, { status: 'failed' });
    const [entry] = (await otherCall('GET', '/v1/dlq')).body.items;
    const results = await Promise.all(Array.from({ length: 10 }, () => otherCall('POST', `/v1/dlq/${entry.id}/replay`)));
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    expect(results.filter((r) => r.status === 201)).toHaveLength(1);
    expect((await call('GET', `/v1/dlq/${entry.id}`)).status).toBe(404);
  });
});
