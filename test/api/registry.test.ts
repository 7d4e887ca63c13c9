import { describe, expect } from 'vitest';
import type { components } from '../../functions/client/generated/openapi';
import { newProject, type TypedClient, withId } from '../support/api';
import { test } from '../support/fixtures';

const hash = (n: number | string) => `sha256-${String(n).padStart(4, '0')}`;
type Change = { previousHash: string | null; newHash: string; serviceId: string; changedAt: string };

const put = (client: TypedClient, service: string, body: components['schemas']['RegisterService']) =>
  client.PUT('/v1/services/{id}', { ...withId(service), body });
/** The whole history of a task, newest first (walks every page). */
async function history(client: TypedClient, task: string): Promise<Change[]> {
  const items: Change[] = [];
  let cursor: string | undefined;
  do {
    const res = await client.GET('/v1/tasks/{id}/history', { params: { path: { id: task }, query: { limit: 200, cursor } } });
    expect(res.response.status).toBe(200);
    items.push(...res.data!.items);
    cursor = res.data!.nextCursor ?? undefined;
  } while (cursor);
  return items;
}
const services = async (client: TypedClient) => (await client.GET('/v1/services', { params: { query: { limit: 200 } } })).data!.items;
const expectChain = (items: Change[]) => {
  for (const [i, item] of items.entries()) expect(item.previousHash).toBe(items[i + 1]?.newHash ?? null);
};

describe('worker registry', () => {
  test('registers a service (201), then refreshes it (200, revision + 1, lastSeenAt moves)', async ({ project: { client } }) => {
    const body = {
      version: '1.4.2',
      baseUrl: 'https://workers.example.com/etl',
      tasks: [
        { id: 'etl.extract', codeHash: hash(1), maxAttempts: 5, timeoutSeconds: 600 },
        { id: 'etl.load', codeHash: hash(2) },
      ],
    };
    const created = await put(client, 'etl-worker', body);
    expect(created.response.status).toBe(201);
    expect(created.response.headers.get('etag')).toBe('"1"');
    expect(created.data).toEqual({
      id: 'etl-worker',
      version: '1.4.2',
      baseUrl: 'https://workers.example.com/etl',
      status: 'active',
      lastSeenAt: expect.any(String),
      revision: 1,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      tasks: [
        { id: 'etl.extract', codeHash: hash(1), maxAttempts: 5, timeoutSeconds: 600, updatedAt: expect.any(String) },
        { id: 'etl.load', codeHash: hash(2), maxAttempts: 3, timeoutSeconds: null, updatedAt: expect.any(String) },
      ],
    });

    await new Promise((resolve) => setTimeout(resolve, 5));
    const refreshed = await put(client, 'etl-worker', { status: 'draining', tasks: [] });
    expect(refreshed.response.status).toBe(200);
    expect(refreshed.response.headers.get('etag')).toBe('"2"');
    // PUT resets what the body leaves out; tasks it leaves out stay registered as they were.
    expect(refreshed.data).toMatchObject({ revision: 2, status: 'draining', version: null, baseUrl: null, createdAt: created.data!.createdAt });
    expect(refreshed.data!.tasks).toEqual(created.data!.tasks);
    expect(refreshed.data!.lastSeenAt > created.data!.lastSeenAt).toBe(true);
    expect(refreshed.data!.updatedAt > created.data!.updatedAt).toBe(true);
  });

  test('writes a history row exactly when a code hash changes', async ({ project: { client } }) => {
    await put(client, 'hist-worker', {
      tasks: [
        { id: 'hist.a', codeHash: hash(1) },
        { id: 'hist.b', codeHash: hash(1) },
      ],
    });
    expect(await history(client, 'hist.a')).toMatchObject([{ previousHash: null, newHash: hash(1), serviceId: 'hist-worker' }]);

    // Same hash again, other settings changed: the task is updated, its history is not.
    const same = await put(client, 'hist-worker', { tasks: [{ id: 'hist.a', codeHash: hash(1), maxAttempts: 9 }] });
    expect(same.data!.tasks.find((t) => t.id === 'hist.a')!.maxAttempts).toBe(9);
    expect(await history(client, 'hist.a')).toHaveLength(1);

    await put(client, 'hist-worker', {
      tasks: [
        { id: 'hist.a', codeHash: hash(2) },
        { id: 'hist.b', codeHash: hash(1) },
      ],
    });
    const a = await history(client, 'hist.a');
    expect(a).toMatchObject([
      { previousHash: hash(1), newHash: hash(2) },
      { previousHash: null, newHash: hash(1) },
    ]);
    expect(a[0]!.changedAt > a[1]!.changedAt).toBe(true);
    expect(await history(client, 'hist.b')).toHaveLength(1);
  });

  describe('under concurrency', () => {
    test('20 concurrent first registrations with one hash: one 201, one history row', async ({ project: { client } }) => {
      const body = { tasks: [{ id: 'conc.same', codeHash: hash('new') }] };
      const results = await Promise.all(Array.from({ length: 20 }, () => put(client, 'conc-same', body)));
      expect(results.filter((r) => r.response.status === 201)).toHaveLength(1);
      expect(results.filter((r) => r.response.status === 200)).toHaveLength(19);
      expect(await history(client, 'conc.same')).toMatchObject([{ previousHash: null, newHash: hash('new') }]);
      expect((await put(client, 'conc-same', body)).data?.revision).toBe(21);
    });

    test('20 concurrent refreshes with one new hash write exactly one history row', async ({ project: { client } }) => {
      await put(client, 'conc-refresh', { tasks: [{ id: 'conc.refresh', codeHash: hash(0) }] });
      const body = { tasks: [{ id: 'conc.refresh', codeHash: hash(1) }] };
      const results = await Promise.all(Array.from({ length: 20 }, () => put(client, 'conc-refresh', body)));
      expect(results.every((r) => r.response.status === 200)).toBe(true);
      expect(await history(client, 'conc.refresh')).toMatchObject([
        { previousHash: hash(0), newHash: hash(1) },
        { previousHash: null, newHash: hash(0) },
      ]);
    });

    test('20 concurrent refreshes with 20 hashes leave one unbroken chain', async ({ project: { client } }) => {
      await put(client, 'conc-chain', { tasks: [{ id: 'conc.chain', codeHash: hash(0) }] });
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) => put(client, 'conc-chain', { tasks: [{ id: 'conc.chain', codeHash: hash(i + 1) }] })),
      );
      expect(results.every((r) => r.response.status === 200)).toBe(true);
      const items = await history(client, 'conc.chain');
      expect(items).toHaveLength(21);
      expectChain(items);
      expect(new Set(items.map((i) => i.newHash))).toEqual(new Set(Array.from({ length: 21 }, (_, i) => hash(i))));
      const [service] = (await services(client)).filter((s) => s.id === 'conc-chain');
      expect(service!.tasks[0]!.codeHash).toBe(items[0]!.newHash);
      expect(service!.revision).toBe(21);
    });

    test('two services racing for one task never deadlock and keep one chain', async ({ project: { client } }) => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          put(client, i % 2 ? 'race-odd' : 'race-even', {
            tasks: [
              { id: 'race.shared', codeHash: hash(i) },
              { id: `race.own-${i % 2}`, codeHash: hash(i) },
            ],
          }),
        ),
      );
      expect(results.map((r) => r.response.status).filter((s) => s !== 200 && s !== 201)).toEqual([]);
      const items = await history(client, 'race.shared');
      expect(items).toHaveLength(20);
      expectChain(items);
      const owner = (await services(client)).find((s) => s.tasks.some((t) => t.id === 'race.shared'));
      expect(owner!.id).toBe(items[0]!.serviceId);
    });
  });

  test('moves a task registered by another service, with history only when the hash changes', async ({ project: { client } }) => {
    await put(client, 'move-from', {
      tasks: [
        { id: 'move.task', codeHash: hash(1) },
        { id: 'move.stays', codeHash: hash(1) },
      ],
    });
    const moved = await put(client, 'move-to', { tasks: [{ id: 'move.task', codeHash: hash(1) }] });
    expect(moved.response.status).toBe(201);
    expect(moved.data!.tasks.map((t) => t.id)).toEqual(['move.task']);
    const byId = Object.fromEntries((await services(client)).map((s) => [s.id, s.tasks.map((t) => t.id)]));
    expect(byId['move-from']).toEqual(['move.stays']);
    expect(byId['move-to']).toEqual(['move.task']);
    expect(await history(client, 'move.task')).toHaveLength(1);

    await put(client, 'move-from', { tasks: [{ id: 'move.task', codeHash: hash(2) }] });
    expect(await history(client, 'move.task')).toMatchObject([
      { previousHash: hash(1), newHash: hash(2), serviceId: 'move-from' },
      { previousHash: null, newHash: hash(1), serviceId: 'move-from' },
    ]);
  });

  test('lists services oldest first across pages, each once, with their tasks', async ({ project: { client } }) => {
    const ids = ['svc-1', 'svc-2', 'svc-3', 'svc-4', 'svc-5'];
    for (const id of ids) await put(client, id, { tasks: [{ id: `${id}.task`, codeHash: hash(1) }] });
    const seen: { id: string; tasks: { id: string }[] }[] = [];
    let cursor: string | undefined;
    do {
      const res = await client.GET('/v1/services', { params: { query: { limit: 2, cursor } } });
      expect(res.response.status).toBe(200);
      expect(res.data!.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.data!.items);
      cursor = res.data!.nextCursor ?? undefined;
    } while (cursor);
    expect(seen.map((s) => s.id)).toEqual(ids);
    expect(seen.map((s) => s.tasks.map((t) => t.id))).toEqual(ids.map((id) => [`${id}.task`]));
  });

  test('pages through a history newest first', async ({ project: { client, call } }) => {
    for (let i = 1; i <= 5; i++) await put(client, 'paged', { tasks: [{ id: 'paged.task', codeHash: hash(i) }] });
    const hashes: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await client.GET('/v1/tasks/{id}/history', { params: { path: { id: 'paged.task' }, query: { limit: 2, cursor } } });
      expect(res.response.status).toBe(200);
      expect(res.data!.items.length).toBeLessThanOrEqual(2);
      hashes.push(...res.data!.items.map((i) => i.newHash));
      cursor = res.data!.nextCursor ?? undefined;
    } while (cursor);
    expect(hashes).toEqual([5, 4, 3, 2, 1].map(hash));
    expect((await client.GET('/v1/tasks/{id}/history', { params: { path: { id: 'paged.task' }, query: { cursor: 'not-a-cursor' } } })).response.status).toBe(
      400,
    );
    // A query parameter the operation does not have, so sent untyped.
    expect((await call('GET', '/v1/tasks/paged.task/history?sort=asc')).status).toBe(400);
  });

  test("404s an unknown task and another project's task; never lists another project's services", async ({ api, project: { client } }) => {
    await put(client, 'private-worker', { tasks: [{ id: 'private.task', codeHash: hash(1) }] });
    const unknown = await client.GET('/v1/tasks/{id}/history', withId('no-such-task'));
    expect(unknown.response.status).toBe(404);
    expect(unknown.response.headers.get('content-type')).toBe('application/problem+json');
    expect(unknown.error).toMatchObject({ code: 'not_found', status: 404 });

    const other = api.client((await newProject(api, 'other')).key);
    expect((await other.GET('/v1/tasks/{id}/history', withId('private.task'))).response.status).toBe(404);
    expect(await services(other)).toEqual([]);
    // The same names in another project are that project's own service and task.
    const theirs = await put(other, 'private-worker', { tasks: [{ id: 'private.task', codeHash: hash(9) }] });
    expect(theirs.response.status).toBe(201);
    expect(await history(client, 'private.task')).toMatchObject([{ newHash: hash(1) }]);
  });

  describe('bad input is a 400 naming the field, and writes nothing', () => {
    const valid = { id: 'bad.task', codeHash: hash(1) };
    const cases: [string, string, unknown, string][] = [
      ['an unknown field', 'bad-1', { tasks: [valid], owner: 'me' }, 'owner'],
      ['an unknown task field', 'bad-2', { tasks: [{ ...valid, retries: 2 }] }, 'tasks.0.retries'],
      ['a duplicate task id', 'bad-3', { tasks: [valid, { id: 'other.task', codeHash: hash(2) }, { ...valid, codeHash: hash(3) }] }, 'tasks.2.id'],
      ['a bad URL', 'bad-4', { baseUrl: 'not a url', tasks: [valid] }, 'baseUrl'],
      ['a non-http URL', 'bad-5', { baseUrl: 'javascript:alert(1)', tasks: [valid] }, 'baseUrl'],
      ['maxAttempts 0', 'bad-6', { tasks: [{ ...valid, maxAttempts: 0 }] }, 'tasks.0.maxAttempts'],
      ['a bad task name', 'bad-7', { tasks: [{ ...valid, id: '-starts-badly' }] }, 'tasks.0.id'],
      ['an empty code hash', 'bad-8', { tasks: [{ ...valid, codeHash: '' }] }, 'tasks.0.codeHash'],
      ['an unknown status', 'bad-9', { status: 'asleep', tasks: [valid] }, 'status'],
      ['missing tasks', 'bad-10', {}, 'tasks'],
      ['too many tasks', 'bad-11', { tasks: Array.from({ length: 501 }, (_, i) => ({ id: `t${i}`, codeHash: hash(i) })) }, 'tasks'],
      ['a bad service id', '_bad', { tasks: [valid] }, 'param.id'],
    ];
    // Bodies the schema refuses, so sent untyped.
    test.for(cases)('%s', async ([, service, body, path], { project: { client, call } }) => {
      const res = await call('PUT', `/v1/services/${service}`, body);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
      expect((await services(client)).map((s) => s.id)).not.toContain(service);
      expect((await client.GET('/v1/tasks/{id}/history', withId('bad.task'))).response.status).toBe(404);
    });
  });
});
