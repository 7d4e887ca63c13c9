/**
 * GET /v1/task-runs/{id} and GET /v1/task-runs: task runs followed across the runs of a project.
 */
import { sql } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import type { operations } from '../../functions/client/generated/openapi';
import { newPipeline, newProject, withId } from '../support/api';
import { test as projectTest } from '../support/fixtures';
import { runInStatus } from '../support/runs';

interface Fixture {
  id: string;
  taskId: string;
  status: string;
  createdAt: string;
}
type Filter = NonNullable<operations['listProjectTaskRuns']['parameters']['query']>;

/**
 * One project's twelve task runs over three runs, with spread creation times, built once for the
 * file: every test only reads them.
 */
const test = projectTest.extend('taskRuns', { scope: 'file' }, async ({ api }) => {
  const { key } = await newProject(api);
  const client = api.client(key);
  const taskRuns: Fixture[] = [];
  const pipeline = await newPipeline(api, key);
  let i = 0;
  for (let r = 0; r < 3; r++) {
    const run = await runInStatus(api, key, pipeline.id, 'running');
    // Failures at attempt 3 exhaust the default budget: each one is dead-lettered.
    for (const [stageId, taskId] of [
      ['fetch', 'download'],
      ['build', 'compile'],
    ] as const) {
      for (const status of ['succeeded', 'failed'] as const) {
        const started = await client.POST('/v1/runs/{id}/tasks', {
          ...withId(run.id),
          body: { stageId, taskId, status: 'running', attempt: status === 'failed' ? 3 : 1 },
        });
        expect(started.response.status).toBe(201);
        const id = started.data!.id;
        await client.PATCH('/v1/task-runs/{id}', { ...withId(id), body: { status } });
        const createdAt = new Date(Date.parse('2026-02-01T00:00:00Z') + ((i++ * 5) % 9) * 1000).toISOString();
        await api.database.db.execute(sql`update task_runs set created_at = ${createdAt}::timestamptz where id = ${id}`);
        taskRuns.push({ id, taskId, status, createdAt });
      }
    }
  }
  return { client, list: taskRuns };
});

describe('task runs across a project', () => {
  const expected = (taskRuns: Fixture[], keep: (t: Fixture) => boolean) =>
    taskRuns
      .filter(keep)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || (b.id < a.id ? -1 : 1))
      .map((t) => t.id);

  test('gets one task run, with its ETag; 404 for an unknown one or another project', async ({ api, taskRuns: { client, list } }) => {
    const res = await client.GET('/v1/task-runs/{id}', withId(list[0]!.id));
    expect(res.response.status).toBe(200);
    expect(res.data).toMatchObject({ id: list[0]!.id, taskId: 'download', status: 'succeeded' });
    expect(res.response.headers.get('etag')).toBe(`"${res.data!.revision}"`);
    expect((await client.GET('/v1/task-runs/{id}', withId('tr_unknown'))).response.status).toBe(404);
    const stranger = api.client((await newProject(api, 'stranger')).key);
    expect((await stranger.GET('/v1/task-runs/{id}', withId(list[0]!.id))).response.status).toBe(404);
    expect((await stranger.GET('/v1/task-runs')).data!.items).toEqual([]);
  });

  test.for([
    ['no filter', {}, () => true],
    ['status', { status: 'failed' }, (t: Fixture) => t.status === 'failed'],
    ['taskId', { taskId: 'compile' }, (t: Fixture) => t.taskId === 'compile'],
    ['status and taskId', { status: 'failed', taskId: 'download' }, (t: Fixture) => t.status === 'failed' && t.taskId === 'download'],
    ['a task nobody has', { taskId: 'nothing' }, () => false],
  ] as [string, Filter, (t: Fixture) => boolean][])('lists by %s, newest first, across pages', async ([, filter, keep], { taskRuns: { client, list } }) => {
    const ids: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await client.GET('/v1/task-runs', { params: { query: { ...filter, limit: 2, cursor } } });
      expect(res.response.status, JSON.stringify(res.error)).toBe(200);
      ids.push(...res.data!.items.map((t) => t.id));
      cursor = res.data!.nextCursor ?? undefined;
    } while (cursor);
    expect(ids).toEqual(expected(list, keep));
  });

  test('follows a DLQ entry to the failing task across runs', async ({ taskRuns: { client } }) => {
    const entry = (await client.GET('/v1/dlq')).data!.items[0]!;
    const failing = await client.GET('/v1/task-runs/{id}', withId(entry.taskRunId));
    expect(failing.data!.status).toBe('failed');
    const sameTask = await client.GET('/v1/task-runs', { params: { query: { taskId: failing.data!.taskId, status: 'failed' } } });
    expect(sameTask.data!.items.map((t) => t.id)).toContain(entry.taskRunId);
  });

  // Query strings the parameters' schemas refuse, so sent untyped.
  test.for([
    ['status=broken', 'query.status'],
    ['taskId=', 'query.taskId'],
    ['cursor=x.y', 'query.cursor'],
  ])('400 for %s', async ([query, path], { project: { call } }) => {
    const res = await call('GET', `/v1/task-runs?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].path).toBe(path);
  });

  test('refuses a cursor reused with another filter', async ({ taskRuns: { client } }) => {
    const cursor = (await client.GET('/v1/task-runs', { params: { query: { status: 'failed', limit: 1 } } })).data!.nextCursor!;
    expect((await client.GET('/v1/task-runs', { params: { query: { status: 'failed', limit: 1, cursor } } })).response.status).toBe(200);
    expect((await client.GET('/v1/task-runs', { params: { query: { status: 'succeeded', limit: 1, cursor } } })).response.status).toBe(400);
  });
});
