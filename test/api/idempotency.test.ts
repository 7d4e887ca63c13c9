import { and, count, eq, sql } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { loadConfig } from '../../functions/config';
import { idempotencyKeys, pipelines } from '../../db/schema';
import { createApp } from '../../functions/api/app';
import { claimHttpKey, requestFingerprint } from '../../functions/core/idempotency';
import { ADMIN_TOKEN, newPipeline, newProject, simpleDefinition, type TestApi, type TypedClient } from '../support/api';
import { test } from '../support/fixtures';

const pipelineBody = (name: string) => ({ name, definition: simpleDefinition() });
const uniqueName = () => `idem-${Math.random().toString(36).slice(2, 10)}`;
/** The Idempotency-Key header as a typed call's parameter. */
const idempotent = (key: string) => ({ header: { 'idempotency-key': key } });

describe('Idempotency-Key on POST', () => {
  const createPipeline = (client: TypedClient, name: string, key?: string) =>
    client.POST('/v1/pipelines', { params: key === undefined ? {} : idempotent(key), body: pipelineBody(name) });
  const pipelinesNamed = async (api: TestApi, projectId: string, name: string) =>
    (
      await api.database.db
        .select({ n: count() })
        .from(pipelines)
        .where(and(eq(pipelines.projectId, projectId), eq(pipelines.name, name)))
    )[0]!.n;
  const keyRow = async (api: TestApi, projectId: string, key: string) =>
    (
      await api.database.db
        .select()
        .from(idempotencyKeys)
        .where(and(eq(idempotencyKeys.projectId, projectId), eq(idempotencyKeys.key, key)))
    )[0];

  test('replays the stored response: same status, body, ETag, Location, marked as replayed', async ({ api, project: { id, client } }) => {
    const name = uniqueName();
    const first = await createPipeline(client, name, 'create-1');
    expect(first.response.status).toBe(201);
    expect(first.response.headers.get('idempotent-replayed')).toBeNull();
    const again = await createPipeline(client, name, 'create-1');
    expect(again.response.status).toBe(201);
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');
    expect(again.data).toEqual(first.data);
    for (const header of ['etag', 'location', 'content-type']) expect(again.response.headers.get(header)).toBe(first.response.headers.get(header));
    expect(await pipelinesNamed(api, id, name)).toBe(1);
  });

  test('fingerprints the exact bytes: the same body with its keys reordered is another request (422)', async ({ api, project: { id, call } }) => {
    // Bodies as exact strings, so sent untyped.
    const post = (body: string) => call('POST', '/v1/pipelines', body, { 'Idempotency-Key': 'reordered' });
    const name = uniqueName();
    const first = await post(JSON.stringify({ name, definition: simpleDefinition() }));
    expect(first.status).toBe(201);
    const same = await post(JSON.stringify({ name, definition: simpleDefinition() }));
    expect(same.headers.get('idempotent-replayed')).toBe('true');
    const reordered = await post(JSON.stringify({ definition: simpleDefinition(), name }));
    expect(reordered.status).toBe(422);
    expect(await pipelinesNamed(api, id, name)).toBe(1);
  });

  test('replays a versions POST as it was answered (201), not as a rerun would answer (200)', async ({ api, project: { key, client } }) => {
    const { id } = await newPipeline(api, key);
    const body = { definition: { stages: [{ id: 'second' }] } };
    const first = await client.POST('/v1/pipelines/{id}/versions', { params: { path: { id }, ...idempotent('version-2') }, body });
    expect(first.response.status).toBe(201);
    const again = await client.POST('/v1/pipelines/{id}/versions', { params: { path: { id }, ...idempotent('version-2') }, body });
    expect(again.response.status).toBe(201);
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');
    expect(again.data).toEqual(first.data);
    // Without the key the same definition is the existing version.
    expect((await client.POST('/v1/pipelines/{id}/versions', { params: { path: { id } }, body })).response.status).toBe(200);
  });

  test('refuses the same key for a different body or path with 422, and runs nothing', async ({ api, project: { id: projectId, key, client, call } }) => {
    const name = uniqueName();
    expect((await createPipeline(client, name, 'reused')).response.status).toBe(201);
    const other = uniqueName();
    const res = await createPipeline(client, other, 'reused');
    expect(res.response.status).toBe(422);
    expect(res.response.headers.get('content-type')).toBe('application/problem+json');
    expect(res.error?.code).toBe('idempotency_key_reused');
    expect(await pipelinesNamed(api, projectId, other)).toBe(0);
    const { id } = await newPipeline(api, key);
    // A pipeline's body sent to the versions route: not a versions body, so sent untyped.
    expect((await call('POST', `/v1/pipelines/${id}/versions`, pipelineBody(name), { 'Idempotency-Key': 'reused' })).status).toBe(422);
  });

  test('answers 409 to a claim committed in flight (by an older version), then runs once the claim is gone', async ({ api, project: { id, client } }) => {
    const name = uniqueName();
    // A claim committed on its own, as releases before claims became transactional left them.
    const fingerprint = requestFingerprint({ method: 'POST', path: '/v1/pipelines', body: JSON.stringify(pipelineBody(name)) });
    const claim = await claimHttpKey({ db: api.database.db, input: { projectId: id, key: 'slow', fingerprint } });
    if (claim.outcome !== 'claimed') throw new Error(`expected a claim, got ${claim.outcome}`);

    const res = await createPipeline(client, name, 'slow');
    expect(res.response.status).toBe(409);
    expect(res.error?.code).toBe('idempotency_request_in_flight');
    expect(res.response.headers.get('retry-after')).toBe('1');
    expect(await pipelinesNamed(api, id, name)).toBe(0);
    // A different body is still a misuse of the key, in flight or not.
    expect((await createPipeline(client, uniqueName(), 'slow')).response.status).toBe(422);

    await api.database.db.delete(idempotencyKeys).where(and(eq(idempotencyKeys.projectId, id), eq(idempotencyKeys.key, 'slow')));
    expect((await createPipeline(client, name, 'slow')).response.status).toBe(201);
  });

  test('takes over a claim abandoned by a crashed request once its lease has lapsed', async ({ api, project: { id, client } }) => {
    const name = uniqueName();
    const fingerprint = requestFingerprint({ method: 'POST', path: '/v1/pipelines', body: JSON.stringify(pipelineBody(name)) });
    await claimHttpKey({ db: api.database.db, input: { projectId: id, key: 'crashed', fingerprint } });
    expect((await createPipeline(client, name, 'crashed')).response.status).toBe(409);
    await api.database.db.update(idempotencyKeys).set({ expiresAt: sql`now() - interval '1 second'` }).where(eq(idempotencyKeys.key, 'crashed'));
    expect((await createPipeline(client, name, 'crashed')).response.status).toBe(201);
  });

  test('keeps a key IDEMPOTENCY_TTL_HOURS from its first use; an expired key is new again', async ({ api, project }) => {
    const shortLived = createApp({ database: api.database, config: loadConfig({ ADMIN_TOKEN, LOG_LEVEL: 'silent', IDEMPOTENCY_TTL_HOURS: '2' }) });
    const send = (body: unknown) =>
      shortLived.request('/v1/pipelines', {
        method: 'POST',
        headers: { Authorization: `Bearer ${project.key}`, 'Content-Type': 'application/json', 'Idempotency-Key': 'expiring' },
        body: JSON.stringify(body),
      });
    expect((await send(pipelineBody(uniqueName()))).status).toBe(201);
    const row = (await keyRow(api, project.id, 'expiring'))!;
    expect(row).toMatchObject({ scope: 'http', state: 'completed', responseStatus: 201 });
    expect(row.expiresAt.getTime() - row.createdAt.getTime()).toBe(2 * 3600_000);

    await api.database.db.update(idempotencyKeys).set({ expiresAt: sql`now() - interval '1 second'` }).where(eq(idempotencyKeys.key, 'expiring'));
    const name = uniqueName();
    const fresh = await send(pipelineBody(name)); // a different body: no 422, the old use is forgotten
    expect(fresh.status).toBe(201);
    expect(fresh.headers.get('idempotent-replayed')).toBeNull();
    expect(await pipelinesNamed(api, project.id, name)).toBe(1);
  });

  test('runs 100 concurrent identical requests exactly once, and every response carries the same id', async ({ api, project: { id, client } }) => {
    const name = uniqueName();
    const responses = await Promise.all(Array.from({ length: 100 }, () => createPipeline(client, name, 'stampede')));
    // Duplicates wait for the first request and replay its answer instead of failing with 409.
    expect(responses.map((r) => r.response.status)).toEqual(Array(100).fill(201));
    expect(responses.filter((r) => r.response.headers.get('idempotent-replayed') === null)).toHaveLength(1);
    expect(new Set(responses.map((r) => r.data?.id)).size).toBe(1);
    expect(await pipelinesNamed(api, id, name)).toBe(1);
  });

  test('100 concurrent POST /v1/pipelines/{id}/runs with one key and one body create exactly one run', async ({ api, project: { key, client } }) => {
    const pipeline = await newPipeline(api, key);
    const responses = await Promise.all(
      Array.from({ length: 100 }, () =>
        client.POST('/v1/pipelines/{id}/runs', { params: { path: { id: pipeline.id }, ...idempotent('run-stampede') }, body: { input: { day: 1 } } }),
      ),
    );
    expect(responses.map((r) => r.response.status)).toEqual(Array(100).fill(201));
    const runIds = new Set(responses.map((r) => r.data?.id));
    expect(runIds.size).toBe(1);
    const list = await client.GET('/v1/pipelines/{id}/runs', { params: { path: { id: pipeline.id } } });
    expect(list.data!.items.map((r) => r.id)).toEqual([...runIds]);
  });

  test('stores and replays 4xx answers: a validation 400 and a 409 name taken', async ({ api, project: { id, key, client } }) => {
    const invalid = await createPipeline(client, 'Not A Slug', 'bad-request');
    expect(invalid.response.status).toBe(400);
    const replayed = await createPipeline(client, 'Not A Slug', 'bad-request');
    expect(replayed.response.status).toBe(400);
    expect(replayed.response.headers.get('idempotent-replayed')).toBe('true');
    expect(replayed.response.headers.get('content-type')).toBe('application/problem+json');
    expect(replayed.error).toEqual(invalid.error); // the original requestId included: it is that response

    const taken = await newPipeline(api, key);
    const conflict = await createPipeline(client, taken.name, 'taken');
    expect(conflict.response.status).toBe(409);
    expect(conflict.error?.code).toBe('pipeline_name_taken');
    // Even once the name is free again, the key answers what it answered.
    expect((await client.DELETE('/v1/pipelines/{id}', { params: { path: { id: taken.id } } })).response.status).toBe(204);
    const again = await createPipeline(client, taken.name, 'taken');
    expect(again.response.status).toBe(409);
    expect(again.response.headers.get('idempotent-replayed')).toBe('true');
    expect(await pipelinesNamed(api, id, taken.name)).toBe(0);
  });

  test('stores nothing on a 5xx and rolls back what the handler wrote, so that a retry runs again', async ({ api, project }) => {
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
    expect(await keyRow(api, project.id, 'flaky')).toBeUndefined();
    failing = false;
    expect((await send()).status).toBe(201);
    expect((await send()).headers.get('idempotent-replayed')).toBe('true');
    expect(await pipelinesNamed(api, project.id, name)).toBe(1);
  });

  test('a 4xx found after a failed statement is answered (not 500) and stored: runs and task runs', async ({ api, project: { key, client } }) => {
    const startRun = (id: string, key: string) => client.POST('/v1/pipelines/{id}/runs', { params: { path: { id }, ...idempotent(key) }, body: {} });
    const missing = await startRun('pipeline_00000000000000000000000000', 'no-pipeline');
    expect(missing.response.status).toBe(404);
    expect((await startRun('pipeline_00000000000000000000000000', 'no-pipeline')).response.headers.get('idempotent-replayed')).toBe('true');
    const pipeline = await newPipeline(api, key);
    const run = await startRun(pipeline.id, 'run-for-tasks');
    expect(run.response.status).toBe(201);
    const startTask = (body: { stageId: string; taskId: string }, key: string) =>
      client.POST('/v1/runs/{id}/tasks', { params: { path: { id: run.data!.id }, ...idempotent(key) }, body });
    const unknownStage = await startTask({ stageId: 'nope', taskId: 'x' }, 'bad-stage');
    expect(unknownStage.response.status).toBe(400);
    const task = { stageId: 'build', taskId: 'compile' };
    expect((await startTask(task, 'task-1')).response.status).toBe(201);
    const duplicate = await startTask(task, 'task-2');
    expect(duplicate.response.status).toBe(409);
    expect((await startTask(task, 'task-2')).response.headers.get('idempotent-replayed')).toBe('true');
  });

  // Keys the header's schema refuses, so sent untyped.
  test.for([
    ['longer than 255 characters', 'k'.repeat(256)],
    ['empty', ''],
    ['with a control character', 'a\tb'],
  ])('refuses a key %s with 400 naming the header', async ([, key], { project: { call } }) => {
    const res = await call('POST', '/v1/pipelines', pipelineBody(uniqueName()), { 'Idempotency-Key': key! });
    expect(res.status).toBe(400);
    expect(res.body).toMatchObject({ code: 'invalid_idempotency_key', errors: [{ path: 'header.idempotency-key' }] });
  });

  test('keeps keys per project', async ({ api, project: { client } }) => {
    const other = api.client((await newProject(api, 'idempotency-other')).key);
    const mine = await createPipeline(client, uniqueName(), 'shared-key');
    const theirs = await createPipeline(other, uniqueName(), 'shared-key');
    expect(theirs.response.status).toBe(201);
    expect(theirs.response.headers.get('idempotent-replayed')).toBeNull();
    expect(theirs.data?.id).not.toBe(mine.data?.id);
  });

  test('leaves admin routes alone: they have no project to keep keys in', async ({ api }) => {
    // The admin routes declare no Idempotency-Key header, so sent untyped.
    const headers = { 'Idempotency-Key': 'admin' };
    const a = await api.call('POST', '/v1/projects', { token: ADMIN_TOKEN, body: { name: 'a' }, headers });
    const b = await api.call('POST', '/v1/projects', { token: ADMIN_TOKEN, body: { name: 'b' }, headers });
    expect([a.status, b.status]).toEqual([201, 201]);
  });

  test('costs no round trip without the header, four with it; a replay skips the handler', async ({ api, project: { client } }) => {
    const roundTrips = async (key?: string, name = uniqueName()) => {
      const before = api.database.roundTrips;
      const res = await createPipeline(client, name, key);
      expect(res.response.status).toBe(201);
      return api.database.roundTrips - before;
    };
    // A first request looks the new key up; the counted ones find it cached.
    await roundTrips();
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
  const put = (client: TypedClient, key: string, body: { result: unknown; ttlSeconds?: number }) =>
    client.PUT('/v1/idempotency/{key}', { params: { path: { key } }, body });
  const get = (client: TypedClient, key: string) => client.GET('/v1/idempotency/{key}', { params: { path: { key } } });
  const expire = (api: TestApi, projectId: string, key: string) =>
    api.database.db
      .update(idempotencyKeys)
      .set({ expiresAt: sql`now() - interval '1 second'` })
      .where(and(eq(idempotencyKeys.projectId, projectId), eq(idempotencyKeys.scope, 'task'), eq(idempotencyKeys.key, key)));

  test('stores a result (201), reads it back, replaces it (200)', async ({ project: { client } }) => {
    const result = { output: { rows: 3 }, files: ['a', 'b'] };
    const created = await put(client, 'task:compile/abc', { result });
    expect(created.response.status).toBe(201);
    expect(created.response.headers.get('location')).toBe('/v1/idempotency/task%3Acompile%2Fabc');
    expect(created.data).toEqual({ key: 'task:compile/abc', result, createdAt: expect.any(String), expiresAt: expect.any(String) });
    // Default lifetime: IDEMPOTENCY_TTL_HOURS (24).
    expect(Date.parse(created.data!.expiresAt) - Date.parse(created.data!.createdAt)).toBe(24 * 3600_000);
    expect((await get(client, 'task:compile/abc')).data).toEqual(created.data);

    const replaced = await put(client, 'task:compile/abc', { result: 'second', ttlSeconds: 60 });
    expect(replaced.response.status).toBe(200);
    expect(replaced.data).toMatchObject({ key: 'task:compile/abc', result: 'second' });
    expect(Date.parse(replaced.data!.expiresAt) - Date.parse(replaced.data!.createdAt)).toBe(60_000);
    expect((await get(client, 'task:compile/abc')).data?.result).toBe('second');
  });

  test('stores any JSON value, null included', async ({ project: { client } }) => {
    // Strings that look like JSON stay strings.
    for (const result of [null, 0, false, 'text', '1', '{"a":1}', [1, [2]], { nested: { deep: [null] } }]) {
      expect((await put(client, 'any-json', { result })).response.status).toBeLessThan(300);
      expect((await get(client, 'any-json')).data?.result).toEqual(result);
    }
  });

  test('forgets an expired result: GET 404, PUT 201 again', async ({ api, project: { id, client } }) => {
    expect((await put(client, 'short', { result: 1, ttlSeconds: 1 })).response.status).toBe(201);
    await expire(api, id, 'short');
    const res = await get(client, 'short');
    expect(res.response.status).toBe(404);
    expect(res.error?.code).toBe('not_found');
    expect((await put(client, 'short', { result: 2 })).response.status).toBe(201);
    expect((await get(client, 'short')).data?.result).toBe(2);
  });

  test("404s an unknown key and another project's key", async ({ api, project: { client } }) => {
    expect((await get(client, 'never-stored')).response.status).toBe(404);
    await put(client, 'mine', { result: 'secret' });
    const stranger = api.client((await newProject(api, 'task-cache-stranger')).key);
    const res = await get(stranger, 'mine');
    expect(res.response.status).toBe(404);
    expect(res.error?.code).toBe('not_found');
    // Their PUT under the same key is their own entry and leaves ours alone.
    expect((await put(stranger, 'mine', { result: 'theirs' })).response.status).toBe(201);
    expect((await get(client, 'mine')).data?.result).toBe('secret');
  });

  test('does not mix task keys with HTTP Idempotency-Keys', async ({ project: { client } }) => {
    await put(client, 'both', { result: 'task' });
    const res = await client.POST('/v1/pipelines', { params: idempotent('both'), body: pipelineBody(uniqueName()) });
    expect(res.response.status).toBe(201);
    expect((await get(client, 'both')).data?.result).toBe('task');
  });

  // Bodies the schema refuses, so sent untyped.
  test.for([
    ['a missing result', {}, 'result'],
    ['a result over 256 KiB', { result: 'x'.repeat(256 * 1024) }, 'result'],
    ['a ttlSeconds of 0', { result: 1, ttlSeconds: 0 }, 'ttlSeconds'],
    ['a ttlSeconds over 30 days', { result: 1, ttlSeconds: 30 * 86400 + 1 }, 'ttlSeconds'],
    ['an unknown field', { result: 1, ttl: 5 }, 'ttl'],
  ] as const)('refuses %s with 400', async ([, body, path], { project: { client, call } }) => {
    const res = await call('PUT', '/v1/idempotency/invalid', body);
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
    expect((await get(client, 'invalid')).response.status).toBe(404);
  });

  test('refuses a key over 255 characters', async ({ project: { client } }) => {
    const res = await put(client, 'k'.repeat(256), { result: 1 });
    expect(res.response.status).toBe(400);
    expect(res.error?.errors?.[0]?.path).toBe('param.key');
    expect((await put(client, 'k'.repeat(255), { result: 1 })).response.status).toBe(201);
  });
});
