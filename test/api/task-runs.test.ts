import { and, count, eq } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { dlq, services, tasks } from '../../db/schema';
import type { components } from '../../functions/client/generated/openapi';
import { newPipeline, newProject, type TestApi, type TypedClient, withId } from '../support/api';
import { test } from '../support/fixtures';
import { runInStatus } from '../support/runs';

type TaskRunStatus = components['schemas']['TaskRun']['status'];
const TASK_STATUSES: TaskRunStatus[] = ['pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled'];
const LEGAL: Record<string, string[]> = {
  pending: ['running', 'skipped', 'cancelled'],
  running: ['succeeded', 'failed', 'skipped', 'cancelled'],
};

/** A pipeline of the project of `key` with a running run. */
async function runningRun(api: TestApi, key: string) {
  const pipelineId = (await newPipeline(api, key)).id;
  return { pipelineId, runId: (await runInStatus(api, key, pipelineId, 'running')).id };
}

let attemptCounter = 100;
/** A task run of the "compile" task (registry name "compile") driven into `status`. */
async function taskInStatus(client: TypedClient, runId: string, status: TaskRunStatus, attempt = attemptCounter++) {
  const start = await client.POST('/v1/runs/{id}/tasks', { ...withId(runId), body: { stageId: 'build', taskId: 'compile', attempt } });
  expect(start.response.status).toBe(201);
  const steps: Record<TaskRunStatus, ('running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled')[]> = {
    pending: [],
    running: ['running'],
    succeeded: ['running', 'succeeded'],
    failed: ['running', 'failed'],
    skipped: ['skipped'],
    cancelled: ['cancelled'],
  };
  let current = start.data!;
  for (const step of steps[status]) current = (await client.PATCH('/v1/task-runs/{id}', { ...withId(current.id), body: { status: step } })).data!;
  return current;
}

describe('task runs and the dead-letter queue', () => {
  test('starts a task run of a task in the pinned definition, with its registry name', async ({ api, project: { key, client } }) => {
    const { runId } = await runningRun(api, key);
    const res = await client.POST('/v1/runs/{id}/tasks', { ...withId(runId), body: { stageId: 'fetch', taskId: 'download', input: { url: 'x' } } });
    expect(res.response.status).toBe(201);
    expect(res.data).toMatchObject({
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
    expect((await client.POST('/v1/runs/{id}/tasks', { ...withId(runId), body: { stageId: 'fetch', taskId: 'download' } })).response.status).toBe(409);
  });

  test('refuses unknown stages and tasks (400) and finished runs (409)', async ({ api, project: { key, client } }) => {
    const { pipelineId, runId } = await runningRun(api, key);
    const stage = await client.POST('/v1/runs/{id}/tasks', { ...withId(runId), body: { stageId: 'deploy', taskId: 'x' } });
    expect(stage.response.status).toBe(400);
    expect(stage.error?.errors?.[0]?.path).toBe('stageId');
    const task = await client.POST('/v1/runs/{id}/tasks', { ...withId(runId), body: { stageId: 'fetch', taskId: 'nope' } });
    expect(task.error?.errors?.[0]?.path).toBe('taskId');
    const done = await runInStatus(api, key, pipelineId, 'succeeded');
    expect((await client.POST('/v1/runs/{id}/tasks', { ...withId(done.id), body: { stageId: 'fetch', taskId: 'download' } })).response.status).toBe(409);
    expect((await client.POST('/v1/runs/{id}/tasks', { ...withId('run_missing'), body: { stageId: 'fetch', taskId: 'download' } })).response.status).toBe(404);
  });

  describe('state machine', () => {
    for (const from of TASK_STATUSES) {
      for (const to of TASK_STATUSES.filter((s) => s !== 'pending')) {
        const legal = LEGAL[from]?.includes(to) ?? false;
        test(`${from} -> ${to} is ${legal ? 'allowed' : 'a 409'}`, async ({ api, project: { key, client } }) => {
          const { runId } = await runningRun(api, key);
          const task = await taskInStatus(client, runId, from);
          const res = await client.PATCH('/v1/task-runs/{id}', { ...withId(task.id), body: { status: to } });
          if (legal) {
            expect(res.response.status).toBe(200);
            expect(res.data?.status).toBe(to);
            expect(res.data?.completedAt === null).toBe(to === 'running');
          } else {
            expect(res.response.status).toBe(409);
            expect(res.error).toMatchObject({ code: 'illegal_transition', currentStatus: from });
          }
        });
      }
    }
  });

  test('reports progress and appends messages', async ({ api, project: { key, client } }) => {
    const { runId } = await runningRun(api, key);
    const task = await taskInStatus(client, runId, 'running');
    await client.PATCH('/v1/task-runs/{id}', { ...withId(task.id), body: { progress: 0.25, messages: ['downloaded'] } });
    const res = await client.PATCH('/v1/task-runs/{id}', { ...withId(task.id), body: { progress: 0.5, messages: ['compiled', 'linked'] } });
    expect(res.data).toMatchObject({ progress: 0.5, messages: ['downloaded', 'compiled', 'linked'] });
    expect((await client.PATCH('/v1/task-runs/{id}', { ...withId(task.id), body: { status: 'succeeded' } })).data?.progress).toBe(1);
  });

  // Out-of-range and wrongly typed patches, sent untyped on purpose.
  test.for([
    [{ progress: 1.5 }, 'progress'],
    [{ progress: -0.1 }, 'progress'],
    [{ messages: [42] }, 'messages.0'],
    [{ messages: 'hello' }, 'messages'],
    [{ status: 'done' }, 'status'],
  ] as const)('refuses %j with 400 and changes nothing', async ([patch, path], { api, project: { key, client, call } }) => {
    const { runId } = await runningRun(api, key);
    const task = await taskInStatus(client, runId, 'running');
    const res = await call('PATCH', `/v1/task-runs/${task.id}`, patch);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    const listed = await client.GET('/v1/runs/{id}/tasks', { params: { path: { id: runId }, query: { limit: 200 } } });
    expect(listed.data!.items.find((t) => t.id === task.id)).toMatchObject({ revision: task.revision, progress: 0, messages: [] });
  });

  test('dead-letters the third failure of a task with max_attempts 3, and replay gives attempt 4', async ({ api, project }) => {
    const { client } = project;
    const { db } = api.database;
    await db.insert(services).values({ projectId: project.id, id: 'builder' });
    await db.insert(tasks).values({ projectId: project.id, id: 'compile', serviceId: 'builder', codeHash: 'h', maxAttempts: 3 });
    const { runId } = await runningRun(api, project.key);
    const failAttempt = async (attempt: number) => {
      const started = await client.POST('/v1/runs/{id}/tasks', { ...withId(runId), body: { stageId: 'build', taskId: 'compile', attempt, status: 'running' } });
      const failed = await client.PATCH('/v1/task-runs/{id}', {
        ...withId(started.data!.id),
        body: { status: 'failed', error: { message: `boom ${attempt}` } },
      });
      expect(failed.response.status).toBe(200);
      return failed.data!;
    };
    const dlqCount = async () =>
      (
        await db
          .select({ n: count() })
          .from(dlq)
          .where(and(eq(dlq.projectId, project.id), eq(dlq.runId, runId)))
      )[0]!.n;

    await failAttempt(1);
    await failAttempt(2);
    expect(await dlqCount()).toBe(0);
    const third = await failAttempt(3);
    expect(await dlqCount()).toBe(1);

    const entries = (await client.GET('/v1/dlq')).data!.items.filter((e) => e.runId === runId);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({ taskRunId: third.id, attempts: 3, error: { message: 'boom 3' }, replayedAt: null });
    const entry = (await client.GET('/v1/dlq/{id}', withId(entries[0]!.id))).data!;
    expect(entry.payload).toMatchObject({ stageId: 'build', taskId: 'compile', taskName: 'compile' });

    const replay = await client.POST('/v1/dlq/{id}/replay', withId(entry.id));
    expect(replay.response.status).toBe(201);
    expect(replay.data).toMatchObject({ attempt: 4, status: 'pending', stageId: 'build', taskId: 'compile' });
    const again = await client.POST('/v1/dlq/{id}/replay', withId(entry.id));
    expect(again.response.status).toBe(200);
    expect(again.data?.id).toBe(replay.data?.id);
    expect((await client.GET('/v1/dlq/{id}', withId(entry.id))).data).toMatchObject({ replayTaskRunId: replay.data?.id, replayedAt: expect.any(String) });

    expect((await client.DELETE('/v1/dlq/{id}', withId(entry.id))).response.status).toBe(204);
    expect((await client.POST('/v1/dlq/{id}/replay', withId(entry.id))).response.status).toBe(404);
    expect((await client.GET('/v1/dlq/{id}', withId(entry.id))).response.status).toBe(404);
    expect((await client.DELETE('/v1/dlq/{id}', withId(entry.id))).response.status).toBe(404);
  });

  test('concurrent replays of one entry create one task run', async ({ api, project: { client } }) => {
    const other = await newProject(api, 'replays');
    const otherClient = api.client(other.key);
    const { runId } = await runningRun(api, other.key);
    // Unregistered task: the default budget of 3 applies, so attempt 3 dead-letters.
    const started = await otherClient.POST('/v1/runs/{id}/tasks', {
      ...withId(runId),
      body: { stageId: 'build', taskId: 'compile', attempt: 3, status: 'running' },
    });
    await otherClient.PATCH('/v1/task-runs/{id}', { ...withId(started.data!.id), body: { status: 'failed' } });
    const [entry] = (await otherClient.GET('/v1/dlq')).data!.items;
    const results = await Promise.all(Array.from({ length: 10 }, () => otherClient.POST('/v1/dlq/{id}/replay', withId(entry!.id))));
    expect(new Set(results.map((r) => r.data?.id)).size).toBe(1);
    expect(results.filter((r) => r.response.status === 201)).toHaveLength(1);
    // Not visible to another project.
    expect((await client.GET('/v1/dlq/{id}', withId(entry!.id))).response.status).toBe(404);
  });
});
