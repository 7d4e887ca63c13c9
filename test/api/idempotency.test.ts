import { and, count, eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../functions/config';
import { idempotencyKeys, pipelines } from '../../db/schema';
import { createApp } from '../../functions/api/app';
import { claimHttpKey, requestFingerprint } from '../../functions/core/idempotency';
import { ADMIN_TOKEN, newPipeline, newProject, simpleDefinition, testApi, type TestApi } from '../support/api';

const pipelineBody = (name: string) => ({ name, definition: simpleDefinition() });
const uniqueName = () => `idem-${Math.random().toString(36).slice(2, 10)}`;

describe('Idempotency-Key on POST', () => {
  let api: TestApi;
  let project: Awaited<ReturnType<typeof newProject>>;
  beforeAll(async () => {
    api = await testApi();
    project = await newProject(api, 'idempotency');
  });
  const post = (path: string, body: unknown, key?: string, token = project.key) =>
    api.call('POST', path, { token, body, headers: key === undefined ? {} : { 'Idempotency-Key': key } });
  const pipelinesNamed = async (name: string) =>
    (
      await api.database.db
        .select({ n: count() })
        .from(pipelines)
        .where(and(eq(pipelines.projectId, project.id), eq(pipelines.name, name)))
    )[0]!.n;
  const keyRow = async (key: string) =>
    (
      await api.database.db
        .select()
        .from(idempotencyKeys)
        .where(and(eq(idempotencyKeys.projectId, project.id), eq(idempotencyKeys.key, key)))
    )[0];

  it('replays the stored response: same status, body, ETag, Location, marked as replayed', async () => {
    const name = uniqueName();
    const first = await post('/v1/pipelines', pipelineBody(name), 'create-1');
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const again = await post('/v1/pipelines', pipelineBody(name), 'create-1');
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    for (const header of ['etag', 'location', 'content-type']) expect(again.headers.get(header)).toBe(first.headers.get(header));
    expect(await pipelinesNamed(name)).toBe(1);
  });

  it('fingerprints the exact bytes: the same body with its keys reordered is another request (422)', async () => {
    const name = uniqueName();
    const first = await post('/v1/pipelines', JSON.stringify({ name, definition: simpleDefinition() }), 'reordered');
    expect(first.status).toBe(201);
    const same = await post('/v1/pipelines', JSON.stringify({ name, definition: simpleDefinition() }), 'reordered');
    expect(same.headers.get('idempotent-replayed')).toBe('true');
    const reordered = await post('/v1/pipelines', JSON.stringify({ definition: simpleDefinition(), name }), 'reordered');
    expect(reordered.status).toBe(422);
    expect(await pipelinesNamed(name)).toBe(1);
  });

  it('replays a versions POST as it was answered (201), not as a rerun would answer (200)', async () => {
    const { id } = await newPipeline(api, project.key);
    const body = { definition: { stages: [{ id: 'second' }] } };
    const first = await post(`/v1/pipelines/${id}/versions`, body, 'version-2');
    expect(first.status).toBe(201);
    const again = await post(`/v1/pipelines/${id}/versions`, body, 'version-2');
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    // Without the key the same definition is the existing version.
    expect((await post(`/v1/pipelines/${id}/versions`, body)).status).toBe(200);
  });

  it('refuses the same key for a different body or path with 422, and runs nothing', async () => {
    const name = uniqueName();
    expect((await post('/v1/pipelines', pipelineBody(name), 'reused')).status).toBe(201);
    const other = uniqueName();
    const res = await post('/v1/pipelines', pipelineBody(other), 'reused');
    expect(res.status).toBe(422);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body.code).toBe('idempotency_key_reused');
    expect(await pipelinesNamed(other)).toBe(0);
    const { id } = await newPipeline(api, project.key);
    expect((await post(`/v1/pipelines/${id}/versions`, pipelineBody(name), 'reused')).status).toBe(422);
  });

  it('answers 409 to a claim committed in flight (by an older version), then runs once the claim is gone', async () => {
    const name = uniqueName();
    // A claim committed on its own, as releases before claims became transactional left them.
    const fingerprint = requestFingerprint({ method: 'POST', path: '/v1/pipelines', body: JSON.stringify(pipelineBody(name)) });
    const claim = await claimHttpKey({ db: api.database.db, input: { projectId: project.id, key: 'slow', fingerprint } });
    if (claim.outcome !== 'claimed') throw new Error(`expected a claim, got ${claim.outcome}`);

    const res = await post('/v1/pipelines', pipelineBody(name), 'slow');
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('idempotency_request_in_flight');
    expect(res.headers.get('retry-after')).toBe('1');
    expect(await pipelinesNamed(name)).toBe(0);
    // A different body is still a misuse of the key, in flight or not.
    expect((await post('/v1/pipelines', pipelineBody(uniqueName()), 'slow')).status).toBe(422);

    await api.database.db.delete(idempotencyKeys).where(and(eq(idempotencyKeys.projectId, project.id), eq(idempotencyKeys.key, 'slow')));
    expect((await post('/v1/pipelines', pipelineBody(name), 'slow')).status).toBe(201);
  });

  it('takes over a claim abandoned by a crashed request once its lease has lapsed', async () => {
    const name = uniqueName();
    const fingerprint = requestFingerprint({ method: 'POST', path: '/v1/pipelines', body: JSON.stringify(pipelineBody(name)) });
    await claimHttpKey({ db: api.database.db, input: { projectId: project.id, key: 'crashed', fingerprint } });
    expect((await post('/v1/pipelines', pipelineBody(name), 'crashed')).status).toBe(409);
    await api.database.db.update(idempotencyKeys).set({ expiresAt: sql`now() - interval '1 second'` }).where(eq(idempotencyKeys.key, 'crashed'));
    expect((await post('/v1/pipelines', pipelineBody(name), 'crashed')).status).toBe(201);
  });

  it('keeps a key IDEMPOTENCY_TTL_HOURS from its first use; an expired key is new again', async () => {
    const shortLived = createApp({ database: api.database, config: loadConfig({ ADMIN_TOKEN, LOG_LEVEL: 'silent', IDEMPOTENCY_TTL_HOURS: '2' }) });
    const send = (body: unknown) =>
      shortLived.request('/v1/pipelines', {
        method: 'POST',
        headers: { Authorization: `Bearer ${project.key}`, 'Content-Type': 'application/json', 'Idempotency-Key': 'expiring' },
        body: JSON.stringify(body),
      });
    expect((await send(pipelineBody(uniqueName()))).status).toBe(201);
    const row = (await keyRow('expiring'))!;
    expect(row).toMatchObject({ scope: 'http', state: 'completed', responseStatus: 201 });
    expect(row.expiresAt.getTime() - row.createdAt.getTime()).toBe(2 * 3600_000);

    await api.database.db.update(idempotencyKeys).set({ expiresAt: sql`now() - interval '1 second'` }).where(eq(idempotencyKeys.key, 'expiring'));
    const name = uniqueName();
    const fresh = await send(pipelineBody(name)); // a different body: no 422, the old use is forgotten
    expect(fresh.status).toBe(201);
    expect(fresh.headers.get('idempotent-replayed')).toBeNull();
    expect(await pipelinesNamed(name)).toBe(1);
  });

  it('runs 100 concurrent identical requests exactly once, and every response carries the same id', async () => {
    const name = uniqueName();
    const responses = await Promise.all(Array.from({ length: 100 }, () => post('/v1/pipelines', pipelineBody(name), 'stampede')));
    // Duplicates wait for the first request and replay its answer instead of failing with 409.
    expect(responses.map((r) => r.status)).toEqual(Array(100).fill(201));
    expect(responses.filter((r) => r.headers.get('idempotent-replayed') === null)).toHaveLength(1);
    expect(new Set(responses.map((r) => r.body.id)).size).toBe(1);
    expect(await pipelinesNamed(name)).toBe(1);
  });

  it('100 concurrent POST /v1/pipelines/{id}/runs with one key and one body create exactly one run', async () => {
    const pipeline = await newPipeline(api, project.key);
    const responses = await Promise.all(Array.from({ length: 100 }, () => post(`/v1/pipelines/${pipeline.id}/runs`, { input: { day: 1 } }, 'run-stampede')));
    expect(responses.map((r) => r.status)).toEqual(Array(100).fill(201));
    const runIds = new Set(responses.map((r) => r.body.id));
    expect(runIds.size).toBe(1);
    const list = await api.call('GET', `/v1/pipelines/${pipeline.id}/runs`, { token: project.key });
    expect(list.body.items.map((r: { id: string }) => r.id)).toEqual([...runIds]);
  });

  it('stores and replays 4xx answers: a validation 400 and a 409 name taken', async () => {
    const invalid = await post('/v1/pipelines', { name: 'Not A Slug', definition: simpleDefinition() }, 'bad-request');
    expect(invalid.status).toBe(400);
    const replayed = await post('/v1/pipelines', { name: 'Not A Slug', definition: simpleDefinition() }, 'bad-request');
    expect(replayed.status).toBe(400);
    expect(replayed.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.headers.get('content-type')).toBe('application/problem+json');
    expect(replayed.body).toEqual(invalid.body); // the original requestId included: it is that response

    const taken = await newPipeline(api, project.key);
    const conflict = await post('/v1/pipelines', pipelineBody(taken.name), 'taken');
    expect(conflict.status).toBe(409);
    expect(conflict.body.code).toBe('pipeline_name_taken');
    // Even once the name is free again, the key answers what it answered.
    expect((await api.call('DELETE', `/v1/pipelines/${taken.id}`, { token: project.key })).status).toBe(204);
    const again = await post('/v1/pipelines', pipelineBody(taken.name), 'taken');
    expect(again.status).toBe(409);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await pipelinesNamed(taken.name)).toBe(0);
  });

  it('stores nothing on a 5xx and rolls back what the handler wrote, so that a retry runs again', async () => {
    let failing = true;
    // The handler's own transaction (a savepoint inside the request's) fails after the outer one began.
    const failInside = <T extends object>(tx: T): T =>
      new Proxy(tx, {
        get: (target, prop) => (prop === 'transaction' && failing ? () => Promise.reject(new Error('boom')) : Reflect.get(target, prop)),
      });
    const database = {
      ...api.database,
      db: new Proxy(api.database.db, {
        get: (target, prop) =>
          prop === 'transaction' ? (fn: (tx: unknown) => Promise<unknown>) => target.transaction((tx) => fn(failInside(tx))) : Reflect.get(target, prop),
      }),
    };
    const flaky = createApp({ database, config: loadConfig({ ADMIN_TOKEN, LOG_LEVEL: 'silent' }) });
    const name = uniqueName();
    const send = () =>
      flaky.request('/v1/pipelines', {
        method: 'POST',
        headers: { Authorization: `Bearer ${project.key}`, 'Content-Type': 'application/json', 'Idempotency-Key': 'flaky' },
        body: JSON.stringify(pipelineBody(name)),
      });
    expect((await send()).status).toBe(500);
    expect(await keyRow('flaky')).toBeUndefined();
    failing = false;
    expect((await send()).status).toBe(201);
    expect((await send()).headers.get('idempotent-replayed')).toBe('true');
    expect(await pipelinesNamed(name)).toBe(1);
  });

  it('a 4xx found after a failed statement is answered (not 500) and stored: runs and task runs', async () => {
    const missing = await post('/v1/pipelines/pipeline_00000000000000000000000000/runs', {}, 'no-pipeline');
    expect(missing.status).toBe(404);
    expect((await post('/v1/pipelines/pipeline_00000000000000000000000000/runs', {}, 'no-pipeline')).headers.get('idempotent-replayed')).toBe('true');
    const pipeline = await newPipeline(api, project.key);
    const run = await post(`/v1/pipelines/${pipeline.id}/runs`, {}, 'run-for-tasks');
    expect(run.status).toBe(201);
    const unknownStage = await post(`/v1/runs/${run.body.id}/tasks`, { stageId: 'nope', taskId: 'x' }, 'bad-stage');
    expect(unknownStage.status).toBe(400);
    const task = { stageId: 'build', taskId: 'compile' };
    expect((await post(`/v1/runs/${run.body.id}/tasks`, task, 'task-1')).status).toBe(201);
    const duplicate = await post(`/v1/runs/${run.body.id}/tasks`, task, 'task-2');
    expect(duplicate.status).toBe(409);
    expect((await post(`/v1/runs/${run.body.id}/tasks`, task, 'task-2')).headers.get('idempotent-replayed')).toBe('true');
  });

  it.each([
    ['longer than 255 characters', 'k'.repeat(256)],
    ['empty', ''],
    ['with a control character', 'a\tb'],
  ])('refuses a key %s with 400 naming the header', async (_, key) => {
    const res = await post('/v1/pipelines', pipelineBody(uniqueName()), key);
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'invalid_idempotency_key', errors: [{ path: 'header.idempotency-key' }] });
  });

  it('keeps keys per project', async () => {
    const other = await newProject(api, 'idempotency-other');
    const mine = await post('/v1/pipelines', pipelineBody(uniqueName()), 'shared-key');
    const theirs = await post('/v1/pipelines', pipelineBody(uniqueName()), 'shared-key', other.key);
    expect(theirs.status).toBe(201);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
    expect(theirs.body.id).not.toBe(mine.body.id);
  });

  it('leaves admin routes alone: they have no project to keep keys in', async () => {
    const headers = { 'Idempotency-Key': 'admin' };
    const a = await api.call('POST', '/v1/projects', { token: ADMIN_TOKEN, body: { name: 'a' }, headers });
    const b = await api.call('POST', '/v1/projects', { token: ADMIN_TOKEN, body: { name: 'b' }, headers });
    expect([a.status, b.status]).toEqual([201, 201]);
  });

  it('costs no round trip without the header, four with it; a replay skips the handler', async () => {
    const roundTrips = async (key?: string, name = uniqueName()) => {
      const before = api.database.roundTrips;
      const res = await post('/v1/pipelines', pipelineBody(name), key);
      expect(res.status).toBe(201);
      return api.database.roundTrips - before;
    };
    const plain = await roundTrips();
    const name = uniqueName();
    // BEGIN, claim (one INSERT … ON CONFLICT), store the response (one UPDATE), COMMIT; the
    // handler's own BEGIN/COMMIT become a SAVEPOINT/RELEASE
    expect(await roundTrips('counted', name)).toBe(plain + 4);
    // BEGIN, claim attempt, read of the stored response, COMMIT; no handler (the key lookup is cached)
    expect(await roundTrips('counted', name)).toBe(4);
  });
});

describe('task result cache: PUT/GET /v1/idempotency/{key}', () => {
  let api: TestApi;
  let project: Awaited<ReturnType<typeof newProject>>;
  beforeAll(async () => {
    api = await testApi();
    project = await newProject(api, 'task-cache');
  });
  const put = (key: string, body: unknown, token = project.key) => api.call('PUT', `/v1/idempotency/${encodeURIComponent(key)}`, { token, body });
  const get = (key: string, token = project.key) => api.call('GET', `/v1/idempotency/${encodeURIComponent(key)}`, { token });
  const expire = (key: string) =>
    api.database.db
      .update(idempotencyKeys)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(and(eq(idempotencyKeys.projectId, project.id), eq(idempotencyKeys.scope, 'task'), eq(idempotencyKeys.key, key)));

  it('stores a result (201), reads it back, replaces it (200)', async () => {
    const result = { output: { rows: 3 }, files: ['a', 'b'] };
    const created = await put('task:compile/abc', { result });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe('/v1/idempotency/task%3Acompile%2Fabc');
    expect(created.body).toEqual({ key: 'task:compile/abc', result, createdAt: expect.any(String), expiresAt: expect.any(String) });
    // Default lifetime: IDEMPOTENCY_TTL_HOURS (24).
    expect(Date.parse(created.body.expiresAt) - Date.parse(created.body.createdAt)).toBe(24 * 3600_000);
    expect((await get('task:compile/abc')).body).toEqual(created.body);

    const replaced = await put('task:compile/abc', { result: 'second', ttlSeconds: 60 });
    expect(replaced.status).toBe(200);
    expect(replaced.body).toMatchObject({ key: 'task:compile/abc', result: 'second' });
    expect(Date.parse(replaced.body.expiresAt) - Date.parse(replaced.body.createdAt)).toBe(60_000);
    expect((await get('task:compile/abc')).body.result).toBe('second');
  });

  it('stores any JSON value, null included', async () => {
    // Strings that look like JSON stay strings.
    for (const result of [null, 0, false, 'text', '1', '{"a":1}', [1, [2]], { nested: { deep: [null] } }]) {
      expect((await put('any-json', { result })).status).toBeLessThan(300);
      expect((await get('any-json')).body.result).toEqual(result);
    }
  });

  it('forgets an expired result: GET 404, PUT 201 again', async () => {
    expect((await put('short', { result: 1, ttlSeconds: 1 })).status).toBe(201);
    await expire('short');
    const res = await get('short');
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('not_found');
    expect((await put('short', { result: 2 })).status).toBe(201);
    expect((await get('short')).body.result).toBe(2);
  });

  it("404s an unknown key and another project's key", async () => {
    expect((await get('never-stored')).status).toBe(404);
    await put('mine', { result: 'secret' });
    const stranger = await newProject(api, 'task-cache-stranger');
    const res = await get('mine', stranger.key);
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('not_found');
    // Their PUT under the same key is their own entry and leaves ours alone.
    expect((await put('mine', { result: 'theirs' }, stranger.key)).status).toBe(201);
    expect((await get('mine')).body.result).toBe('secret');
  });

  it('does not mix task keys with HTTP Idempotency-Keys', async () => {
    await put('both', { result: 'task' });
    const res = await api.call('POST', '/v1/pipelines', {
      token: project.key,
      body: pipelineBody(uniqueName()),
      headers: { 'Idempotency-Key': 'both' },
    });
    expect(res.status).toBe(201);
    expect((await get('both')).body.result).toBe('task');
  });

  it.each([
    ['a missing result', {}, 'result'],
    ['a result over 256 KiB', { result: 'x'.repeat(256 * 1024) }, 'result'],
    ['a ttlSeconds of 0', { result: 1, ttlSeconds: 0 }, 'ttlSeconds'],
    ['a ttlSeconds over 30 days', { result: 1, ttlSeconds: 30 * 86400 + 1 }, 'ttlSeconds'],
    ['an unknown field', { result: 1, ttl: 5 }, 'ttl'],
  ])('refuses %s with 400', async (_, body, path) => {
    const res = await put('invalid', body);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect((await get('invalid')).status).toBe(404);
  });

  it('refuses a key over 255 characters', async () => {
    const res = await put('k'.repeat(256), { result: 1 });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].path).toBe('param.key');
    expect((await put('k'.repeat(255), { result: 1 })).status).toBe(201);
  });
});
