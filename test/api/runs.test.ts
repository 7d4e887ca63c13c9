import { describe, expect } from 'vitest';
import { newPipeline, type Run, withId, withIfMatch } from '../support/api';
import { test } from '../support/fixtures';
import { runInStatus } from '../support/runs';

const STATUSES: Run['status'][] = ['pending', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out'];
const LEGAL: Record<string, string[]> = {
  pending: ['running', 'cancelled'],
  running: ['succeeded', 'failed', 'cancelled', 'timed_out'],
};

describe('pipeline runs', () => {
  test('creates a pending run pinned to the active version, and keeps it pinned after an activation', async ({ api, project: { key, client } }) => {
    const { id } = await newPipeline(api, key);
    const res = await client.POST('/v1/pipelines/{id}/runs', { ...withId(id), body: { input: { date: '2026-11-23' } } });
    expect(res.response.status).toBe(201);
    expect(res.response.headers.get('etag')).toBe('"1"');
    expect(res.data).toMatchObject({
      id: expect.stringMatching(/^run_/),
      pipelineId: id,
      version: 1,
      status: 'pending',
      input: { date: '2026-11-23' },
      stageResults: {},
      startedAt: null,
      completedAt: null,
    });
    await client.POST('/v1/pipelines/{id}/versions', { ...withId(id), body: { definition: { stages: [{ id: 'v2' }] } } });
    await client.POST('/v1/pipelines/{id}/activate', { ...withId(id), body: { version: 2 } });
    expect((await client.GET('/v1/runs/{id}', withId(res.data!.id))).data?.version).toBe(1);
    expect((await client.POST('/v1/pipelines/{id}/runs', withId(id))).data?.version).toBe(2);
  });

  test('pins a named version, and 404s an unknown version or pipeline', async ({ api, project: { key, client } }) => {
    const { id } = await newPipeline(api, key);
    await client.POST('/v1/pipelines/{id}/versions', { ...withId(id), body: { definition: { stages: [{ id: 'v2' }] } } });
    expect((await client.POST('/v1/pipelines/{id}/runs', { ...withId(id), body: { version: 2 } })).data?.version).toBe(2);
    const noVersion = await client.POST('/v1/pipelines/{id}/runs', { ...withId(id), body: { version: 9 } });
    expect(noVersion.response.status).toBe(404);
    expect(noVersion.error?.detail).toContain('version');
    const noPipeline = await client.POST('/v1/pipelines/{id}/runs', { ...withId('pl_missing'), body: {} });
    expect(noPipeline.response.status).toBe(404);
    expect(noPipeline.error?.detail).toContain('pipeline');
  });

  describe('state machine', () => {
    for (const from of STATUSES) {
      for (const to of STATUSES.filter((s) => s !== 'pending')) {
        const legal = LEGAL[from]?.includes(to) ?? false;
        test(`${from} -> ${to} is ${legal ? 'allowed' : 'a 409'}`, async ({ api, project: { key, client } }) => {
          const pipeline = await newPipeline(api, key);
          const run = await runInStatus(api, key, pipeline.id, from);
          const res = await client.PATCH('/v1/runs/{id}', { ...withId(run.id), body: { status: to } });
          if (legal) {
            expect(res.response.status).toBe(200);
            expect(res.data).toMatchObject({ status: to, revision: run.revision + 1 });
            if (to === 'running') expect(res.data?.startedAt).not.toBeNull();
            expect(res.data?.completedAt === null).toBe(to === 'running');
          } else {
            expect(res.response.status).toBe(409);
            expect(res.error).toMatchObject({ code: 'illegal_transition', currentStatus: from, requestedStatus: to });
            expect((await client.GET('/v1/runs/{id}', withId(run.id))).data).toMatchObject({ status: from, revision: run.revision });
          }
        });
      }
    }

    test('refuses an unknown status name with 400', async ({ api, project: { key, call } }) => {
      const pipeline = await newPipeline(api, key);
      const run = await runInStatus(api, key, pipeline.id, 'pending');
      // Statuses the schema does not accept, so sent untyped.
      const res = await call('PATCH', `/v1/runs/${run.id}`, { status: 'exploded' });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].path).toBe('status');
      expect((await call('PATCH', `/v1/runs/${run.id}`, { status: 'pending' })).status).toBe(400);
    });
  });

  test('sets the current stage and merges stage results key by key', async ({ api, project: { key, client } }) => {
    const pipeline = await newPipeline(api, key);
    const run = await runInStatus(api, key, pipeline.id, 'running');
    await client.PATCH('/v1/runs/{id}', { ...withId(run.id), body: { currentStage: 'fetch', stageResults: { fetch: { rows: 10 } } } });
    const res = await client.PATCH('/v1/runs/{id}', { ...withId(run.id), body: { currentStage: 'build', stageResults: { build: { ok: true } } } });
    expect(res.data).toMatchObject({ currentStage: 'build', stageResults: { fetch: { rows: 10 }, build: { ok: true } } });
  });

  test('refuses updates to a finished run, and oversize stage results', async ({ api, project: { key, client } }) => {
    const pipeline = await newPipeline(api, key);
    const done = await runInStatus(api, key, pipeline.id, 'succeeded');
    const res = await client.PATCH('/v1/runs/{id}', { ...withId(done.id), body: { currentStage: 'late' } });
    expect(res.response.status).toBe(409);
    const running = await runInStatus(api, key, pipeline.id, 'running');
    const huge = await client.PATCH('/v1/runs/{id}', { ...withId(running.id), body: { stageResults: { blob: 'x'.repeat(300 * 1024) } } });
    expect(huge.response.status).toBe(400);
    expect(huge.error?.errors?.[0]?.path).toBe('stageResults');
    expect((await client.GET('/v1/runs/{id}', withId(running.id))).data?.stageResults).toEqual({});
  });

  test('honours If-Match on transitions', async ({ api, project: { key, client } }) => {
    const pipeline = await newPipeline(api, key);
    const run = await runInStatus(api, key, pipeline.id, 'running');
    expect((await client.PATCH('/v1/runs/{id}', { ...withIfMatch(run.id, '"1"'), body: { status: 'failed' } })).response.status).toBe(412);
    const ok = await client.PATCH('/v1/runs/{id}', { ...withIfMatch(run.id, `"${run.revision}"`), body: { status: 'failed' } });
    expect(ok.response.status).toBe(200);
  });

  test('records heartbeats of running runs without changing the revision', async ({ api, project: { key, client } }) => {
    const pipeline = await newPipeline(api, key);
    const run = await runInStatus(api, key, pipeline.id, 'running');
    const res = await client.POST('/v1/runs/{id}/heartbeat', withId(run.id));
    expect(res.response.status).toBe(200);
    expect(res.data?.heartbeatAt).toEqual(expect.any(String));
    expect((await client.GET('/v1/runs/{id}', withId(run.id))).data?.revision).toBe(run.revision);
    const pending = await runInStatus(api, key, pipeline.id, 'pending');
    expect((await client.POST('/v1/runs/{id}/heartbeat', withId(pending.id))).response.status).toBe(409);
  });

  test('cancels a run with its unfinished task runs', async ({ api, project: { key, client } }) => {
    const pipeline = await newPipeline(api, key);
    const run = await runInStatus(api, key, pipeline.id, 'running');
    const task = await client.POST('/v1/runs/{id}/tasks', { ...withId(run.id), body: { stageId: 'fetch', taskId: 'download', status: 'running' } });
    expect(task.response.status).toBe(201);
    const res = await client.POST('/v1/runs/{id}/cancel', { ...withId(run.id), body: { reason: 'operator' } });
    expect(res.data).toMatchObject({ status: 'cancelled', error: { message: 'operator' } });
    const tasks = await client.GET('/v1/runs/{id}/tasks', withId(run.id));
    expect(tasks.data?.items.map((t) => t.status)).toEqual(['cancelled']);
    expect((await client.POST('/v1/runs/{id}/cancel', withId(run.id))).response.status).toBe(409);
  });

  test('lists runs newest first, filtered by status', async ({ api, project: { key, client, call } }) => {
    const { id } = await newPipeline(api, key);
    const created: string[] = [];
    for (const status of ['pending', 'running', 'succeeded', 'running']) created.push((await runInStatus(api, key, id, status)).id);
    const all = await client.GET('/v1/pipelines/{id}/runs', withId(id));
    expect(all.data?.items.map((r) => r.id).sort()).toEqual([...created].sort());
    const times = all.data?.items.map((r) => r.createdAt);
    expect(times).toEqual([...(times ?? [])].sort().reverse());
    const running = await client.GET('/v1/pipelines/{id}/runs', { params: { path: { id }, query: { status: 'running' } } });
    expect(running.data?.items.map((r) => r.id).sort()).toEqual([created[1], created[3]].sort());
    // A status the schema does not accept, so sent untyped.
    expect((await call('GET', `/v1/pipelines/${id}/runs?status=bogus`)).status).toBe(400);
    expect((await client.GET('/v1/pipelines/{id}/runs', withId('pl_missing'))).response.status).toBe(404);
  });

  test('100 concurrent moves of one running run to different terminal states: exactly one wins', async ({ api, project: { key, client } }) => {
    const pipeline = await newPipeline(api, key);
    const run = await runInStatus(api, key, pipeline.id, 'running');
    const targets = ['succeeded', 'failed', 'cancelled', 'timed_out'] as const;
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => client.PATCH('/v1/runs/{id}', { ...withId(run.id), body: { status: targets[i % 4], output: { by: i } } })),
    );
    const winners = results.filter((r) => r.response.status === 200);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.response.status === 409)).toHaveLength(99);
    const stored = (await client.GET('/v1/runs/{id}', withId(run.id))).data;
    expect(stored).toMatchObject({ status: winners[0]!.data?.status, output: winners[0]!.data?.output, revision: run.revision + 1 });
  });

  test('pages without repeats or skips while another client inserts runs', async ({ api, project: { key, client } }) => {
    const { id } = await newPipeline(api, key);
    const existing: string[] = [];
    for (let i = 0; i < 30; i++) existing.push((await client.POST('/v1/pipelines/{id}/runs', withId(id))).data!.id);
    let inserting = true;
    const writer = (async () => {
      while (inserting) await client.POST('/v1/pipelines/{id}/runs', withId(id));
    })();
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await client.GET('/v1/pipelines/{id}/runs', { params: { path: { id }, query: { limit: 4, cursor } } });
      seen.push(...(page.data?.items.map((r) => r.id) ?? []));
      cursor = page.data?.nextCursor ?? undefined;
    } while (cursor);
    inserting = false;
    await writer;
    expect(new Set(seen).size).toBe(seen.length);
    for (const runId of existing) expect(seen).toContain(runId);
  });
});
