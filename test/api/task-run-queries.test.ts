/**
 * GET /v1/task-runs/{id} and GET /v1/task-runs: task runs followed across the runs of a project.
 */
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { newPipeline, newProject, testApi, type TestApi } from '../support/api';
import { runInStatus } from '../support/runs';

interface Fixture {
  id: string;
  taskId: string;
  status: string;
  createdAt: string;
}

describe('task runs across a project', () => {
  let api: TestApi;
  let key: string;
  const taskRuns: Fixture[] = [];

  beforeAll(async () => {
    api = await testApi();
    key = (await newProject(api)).key;
    const call = (method: string, path: string, body?: unknown) => api.call(method, path, { token: key, body });
    const pipeline = await newPipeline(api, key);
    let i = 0;
    for (let r = 0; r < 3; r++) {
      const run = await runInStatus(api, key, pipeline.id, 'running');
      // Failures at attempt 3 exhaust the default budget: each one is dead-lettered.
      for (const [stageId, taskId] of [
        ['fetch', 'download'],
        ['build', 'compile'],
      ] as const) {
        for (const status of ['succeeded', 'failed']) {
          const started = await call('POST', `/v1/runs/${run.id}/tasks`, { stageId, taskId, status: 'running', attempt: status === 'failed' ? 3 : 1 });
          expect(started.status).toBe(201);
          await call('PATCH', `/v1/task-runs/${started.body.id}`, { status });
          const createdAt = new Date(Date.parse('2026-02-01T00:00:00Z') + ((i++ * 5) % 9) * 1000).toISOString();
          await api.database.db.execute(sql`update task_runs set created_at = ${createdAt}::timestamptz where id = ${started.body.id}`);
          taskRuns.push({ id: started.body.id, taskId, status, createdAt });
        }
      }
    }
  });

  const get = (path: string, token = key) => api.call('GET', path, { token });

  async function collect(query: string) {
    const ids: string[] = [];
    let cursor: string | null = null;
    do {
      const res = await get(`/v1/task-runs?${[query, 'limit=2', cursor && `cursor=${encodeURIComponent(cursor)}`].filter(Boolean).join('&')}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      ids.push(...res.body.items.map((t: { id: string }) => t.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    return ids;
  }
  const expected = (keep: (t: Fixture) => boolean) =>
    taskRuns
      .filter(keep)
      .sort((a, b) => b.createdAt.localeCompare(a.createdAt) || (b.id < a.id ? -1 : 1))
      .map((t) => t.id);

  it('gets one task run, with its ETag; 404 for an unknown one or another project', async () => {
    const res = await get(`/v1/task-runs/${taskRuns[0]!.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: taskRuns[0]!.id, taskId: 'download', status: 'succeeded' });
    expect(res.headers.get('etag')).toBe(`"${res.body.revision}"`);
    expect((await get('/v1/task-runs/tr_unknown')).status).toBe(404);
    const stranger = await newProject(api, 'stranger');
    expect((await get(`/v1/task-runs/${taskRuns[0]!.id}`, stranger.key)).status).toBe(404);
    expect((await get('/v1/task-runs', stranger.key)).body.items).toEqual([]);
  });

  it.each([
    ['no filter', '', () => true],
    ['status', 'status=failed', (t: Fixture) => t.status === 'failed'],
    ['taskId', 'taskId=compile', (t: Fixture) => t.taskId === 'compile'],
    ['status and taskId', 'status=failed&taskId=download', (t: Fixture) => t.status === 'failed' && t.taskId === 'download'],
    ['a task nobody has', 'taskId=nothing', () => false],
  ])('lists by %s, newest first, across pages', async (_, query, keep) => {
    expect(await collect(query)).toEqual(expected(keep));
  });

  it('follows a DLQ entry to the failing task across runs', async () => {
    const entry = (await get('/v1/dlq')).body.items[0];
    const failing = await get(`/v1/task-runs/${entry.taskRunId}`);
    expect(failing.body.status).toBe('failed');
    const sameTask = await get(`/v1/task-runs?taskId=${failing.body.taskId}&status=failed`);
    expect(sameTask.body.items.map((t: { id: string }) => t.id)).toContain(entry.taskRunId);
  });

  it.each([
    ['status=broken', 'query.status'],
    ['taskId=', 'query.taskId'],
    ['cursor=x.y', 'query.cursor'],
  ])('400 for %s', async (query, path) => {
    const res = await get(`/v1/task-runs?${query}`);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].path).toBe(path);
  });

  it('refuses a cursor reused with another filter', async () => {
    const cursor = encodeURIComponent((await get('/v1/task-runs?status=failed&limit=1')).body.nextCursor);
    expect((await get(`/v1/task-runs?status=failed&limit=1&cursor=${cursor}`)).status).toBe(200);
    expect((await get(`/v1/task-runs?status=succeeded&limit=1&cursor=${cursor}`)).status).toBe(400);
  });
});
