import { beforeAll, describe, expect, it } from 'vitest';
import { newPipeline, newProject, testApi, type TestApi } from '../support/api';
import { runInStatus } from '../support/runs';

const STATUSES = ['pending', 'running', 'succeeded', 'failed', 'cancelled', 'timed_out'];
const LEGAL: Record<string, string[]> = {
  pending: ['running', 'cancelled'],
  running: ['succeeded', 'failed', 'cancelled', 'timed_out'],
};

describe('pipeline runs', () => {
  let api: TestApi;
  let key: string;
  let pipeline: { id: string; name: string };
  beforeAll(async () => {
    api = await testApi();
    key = (await newProject(api)).key;
    pipeline = await newPipeline(api, key);
  });
  const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => api.call(method, path, { token: key, body, headers });

  it('creates a pending run pinned to the active version, and keeps it pinned after an activation', async () => {
    const { id } = await newPipeline(api, key);
    const res = await call('POST', `/v1/pipelines/${id}/runs`, { input: { date: '2026-11-23' } });
    expect(res.status).toBe(201);
    expect(res.headers.get('etag')).toBe('"1"');
    expect(res.body).toMatchObject({
      id: expect.stringMatching(/^run_/),
      pipelineId: id,
      version: 1,
      status: 'pending',
      input: { date: '2026-11-23' },
      stageResults: {},
      startedAt: null,
      completedAt: null,
    });
    await call('POST', `/v1/pipelines/${id}/versions`, { definition: { stages: [{ id: 'v2' }] } });
    await call('POST', `/v1/pipelines/${id}/activate`, { version: 2 });
    expect((await call('GET', `/v1/runs/${res.body.id}`)).body.version).toBe(1);
    expect((await call('POST', `/v1/pipelines/${id}/runs`)).body.version).toBe(2);
  });

  it('pins a named version, and 404s an unknown version or pipeline', async () => {
    const { id } = await newPipeline(api, key);
    await call('POST', `/v1/pipelines/${id}/versions`, { definition: { stages: [{ id: 'v2' }] } });
    expect((await call('POST', `/v1/pipelines/${id}/runs`, { version: 2 })).body.version).toBe(2);
    const noVersion = await call('POST', `/v1/pipelines/${id}/runs`, { version: 9 });
    expect(noVersion.status).toBe(404);
    expect(noVersion.body.detail).toContain('version');
    const noPipeline = await call('POST', '/v1/pipelines/pl_missing/runs', {});
    expect(noPipeline.status).toBe(404);
    expect(noPipeline.body.detail).toContain('pipeline');
  });

  describe('state machine', () => {
    for (const from of STATUSES) {
      for (const to of STATUSES.filter((s) => s !== 'pending')) {
        const legal = LEGAL[from]?.includes(to) ?? false;
        it(`${from} -> ${to} is ${legal ? 'allowed' : 'a 409'}`, async () => {
          const run = await runInStatus(api, key, pipeline.id, from);
          const res = await call('PATCH', `/v1/runs/${run.id}`, { status: to });
          if (legal) {
            expect(res.status).toBe(200);
            expect(res.body).toMatchObject({ status: to, revision: run.revision + 1 });
            if (to === 'running') expect(res.body.startedAt).not.toBeNull();
            expect(res.body.completedAt === null).toBe(to === 'running');
          } else {
            expect(res.status).toBe(409);
            expect(res.body).toMatchObject({ code: 'illegal_transition', currentStatus: from, requestedStatus: to });
            expect((await call('GET', `/v1/runs/${run.id}`)).body).toMatchObject({ status: from, revision: run.revision });
          }
        });
      }
    }

    it('refuses an unknown status name with 400', async () => {
      const run = await runInStatus(api, key, pipeline.id, 'pending');
      const res = await call('PATCH', `/v1/runs/${run.id}`, { status: 'exploded' });
      expect(res.status).toBe(400);
      expect(res.body.errors[0].path).toBe('status');
      expect((await call('PATCH', `/v1/runs/${run.id}`, { status: 'pending' })).status).toBe(400);
    });
  });

  it('sets the current stage and merges stage results key by key', async () => {
    const run = await runInStatus(api, key, pipeline.id, 'running');
    await call('PATCH', `/v1/runs/${run.id}`, { currentStage: 'fetch', stageResults: { fetch: { rows: 10 } } });
    const res = await call('PATCH', `/v1/runs/${run.id}`, { currentStage: 'build', stageResults: { build: { ok: true } } });
    expect(res.body).toMatchObject({ currentStage: 'build', stageResults: { fetch: { rows: 10 }, build: { ok: true } } });
  });

  it('refuses updates to a finished run, and oversize stage results', async () => {
    const done = await runInStatus(api, key, pipeline.id, 'succeeded');
    const res = await call('PATCH', `/v1/runs/${done.id}`, { currentStage: 'late' });
    expect(res.status).toBe(409);
    const running = await runInStatus(api, key, pipeline.id, 'running');
    const huge = await call('PATCH', `/v1/runs/${running.id}`, { stageResults: { blob: 'x'.repeat(300 * 1024) } });
    expect(huge.status).toBe(400);
    expect(huge.body.errors[0].path).toBe('stageResults');
    expect((await call('GET', `/v1/runs/${running.id}`)).body.stageResults).toEqual({});
  });

  it('honours If-Match on transitions', async () => {
    const run = await runInStatus(api, key, pipeline.id, 'running');
    expect((await call('PATCH', `/v1/runs/${run.id}`, { status: 'failed' }, { 'If-Match': '"1"' })).status).toBe(412);
    const ok = await call('PATCH', `/v1/runs/${run.id}`, { status: 'failed' }, { 'If-Match': `"${run.revision}"` });
    expect(ok.status).toBe(200);
  });

  it('records heartbeats of running runs without changing the revision', async () => {
    const run = await runInStatus(api, key, pipeline.id, 'running');
    const res = await call('POST', `/v1/runs/${run.id}/heartbeat`);
    expect(res.status).toBe(200);
    expect(res.body.heartbeatAt).toEqual(expect.any(String));
    expect((await call('GET', `/v1/runs/${run.id}`)).body.revision).toBe(run.revision);
    const pending = await runInStatus(api, key, pipeline.id, 'pending');
    expect((await call('POST', `/v1/runs/${pending.id}/heartbeat`)).status).toBe(409);
  });

  it('cancels a run with its unfinished task runs', async () => {
    const run = await runInStatus(api, key, pipeline.id, 'running');
    const task = await call('POST', `/v1/runs/${run.id}/tasks`, { stageId: 'fetch', taskId: 'download', status: 'running' });
    expect(task.status).toBe(201);
    const res = await call('POST', `/v1/runs/${run.id}/cancel`, { reason: 'operator' });
    expect(res.body).toMatchObject({ status: 'cancelled', error: { message: 'operator' } });
    const tasks = await call('GET', `/v1/runs/${run.id}/tasks`);
    expect(tasks.body.items.map((t: { status: string }) => t.status)).toEqual(['cancelled']);
    expect((await call('POST', `/v1/runs/${run.id}/cancel`)).status).toBe(409);
  });

  it('lists runs newest first, filtered by status', async () => {
    const { id } = await newPipeline(api, key);
    const created: string[] = [];
    for (const status of ['pending', 'running', 'succeeded', 'running']) created.push((await runInStatus(api, key, id, status)).id);
    const all = await call('GET', `/v1/pipelines/${id}/runs`);
    expect(all.body.items.map((r: { id: string }) => r.id).sort()).toEqual([...created].sort());
    const times = all.body.items.map((r: { createdAt: string }) => r.createdAt);
    expect(times).toEqual([...times].sort().reverse());
    const running = await call('GET', `/v1/pipelines/${id}/runs?status=running`);
    expect(running.body.items.map((r: { id: string }) => r.id).sort()).toEqual([created[1], created[3]].sort());
    expect((await call('GET', `/v1/pipelines/${id}/runs?status=bogus`)).status).toBe(400);
    expect((await call('GET', '/v1/pipelines/pl_missing/runs')).status).toBe(404);
  });

  it('100 concurrent moves of one running run to different terminal states: exactly one wins', async () => {
    const run = await runInStatus(api, key, pipeline.id, 'running');
    const targets = ['succeeded', 'failed', 'cancelled', 'timed_out'];
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) => call('PATCH', `/v1/runs/${run.id}`, { status: targets[i % 4], output: { by: i } })),
    );
    const winners = results.filter((r) => r.status === 200);
    expect(winners).toHaveLength(1);
    expect(results.filter((r) => r.status === 409)).toHaveLength(99);
    const stored = (await call('GET', `/v1/runs/${run.id}`)).body;
    expect(stored).toMatchObject({ status: winners[0]!.body.status, output: winners[0]!.body.output, revision: run.revision + 1 });
  });

  it('pages without repeats or skips while another client inserts runs', async () => {
    const { id } = await newPipeline(api, key);
    const existing: string[] = [];
    for (let i = 0; i < 30; i++) existing.push((await call('POST', `/v1/pipelines/${id}/runs`)).body.id);
    let inserting = true;
    const writer = (async () => {
      while (inserting) await call('POST', `/v1/pipelines/${id}/runs`);
    })();
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page = await call('GET', `/v1/pipelines/${id}/runs?limit=4${query}`);
      seen.push(...page.body.items.map((r: { id: string }) => r.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    inserting = false;
    await writer;
    expect(new Set(seen).size).toBe(seen.length);
    for (const runId of existing) expect(seen).toContain(runId);
  });
});
