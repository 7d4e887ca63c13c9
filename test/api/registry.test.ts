import { beforeAll, describe, expect, it } from 'vitest';
import { newProject, testApi, type TestApi } from '../support/api';

const hash = (n: number | string) => `sha256-${String(n).padStart(4, '0')}`;
type Change = { previousHash: string | null; newHash: string; serviceId: string; changedAt: string };

describe('worker registry', () => {
  let api: TestApi;
  let key: string;
  beforeAll(async () => {
    api = await testApi();
    key = (await newProject(api)).key;
  });
  const call = (method: string, path: string, body?: unknown) => api.call(method, path, { token: key, body });
  const put = (service: string, body: unknown) => call('PUT', `/v1/services/${service}`, body);
  /** The whole history of a task, newest first (walks every page). */
  const history = async (task: string, as = key): Promise<Change[]> => {
    const items: Change[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const res = await api.call('GET', `/v1/tasks/${task}/history?limit=200${query}`, { token: as });
      expect(res.status).toBe(200);
      items.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    return items;
  };
  const services = async (as = key) => (await api.call('GET', '/v1/services?limit=200', { token: as })).body.items;
  const expectChain = (items: Change[]) => {
    for (const [i, item] of items.entries()) expect(item.previousHash).toBe(items[i + 1]?.newHash ?? null);
  };

  it('registers a service (201), then refreshes it (200, revision + 1, lastSeenAt moves)', async () => {
    const body = {
      version: '1.4.2',
      baseUrl: 'https://workers.example.com/etl',
      tasks: [
        { id: 'etl.extract', codeHash: hash(1), maxAttempts: 5, timeoutSeconds: 600 },
        { id: 'etl.load', codeHash: hash(2) },
      ],
    };
    const created = await put('etl-worker', body);
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.body).toEqual({
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
    const refreshed = await put('etl-worker', { status: 'draining', tasks: [] });
    expect(refreshed.status).toBe(200);
    expect(refreshed.headers.get('etag')).toBe('"2"');
    // PUT resets what the body leaves out; tasks it leaves out stay registered as they were.
    expect(refreshed.body).toMatchObject({ revision: 2, status: 'draining', version: null, baseUrl: null, createdAt: created.body.createdAt });
    expect(refreshed.body.tasks).toEqual(created.body.tasks);
    expect(refreshed.body.lastSeenAt > created.body.lastSeenAt).toBe(true);
    expect(refreshed.body.updatedAt > created.body.updatedAt).toBe(true);
  });

  it('writes a history row exactly when a code hash changes', async () => {
    await put('hist-worker', {
      tasks: [
        { id: 'hist.a', codeHash: hash(1) },
        { id: 'hist.b', codeHash: hash(1) },
      ],
    });
    expect(await history('hist.a')).toMatchObject([{ previousHash: null, newHash: hash(1), serviceId: 'hist-worker' }]);

    // Same hash again, other settings changed: the task is updated, its history is not.
    const same = await put('hist-worker', { tasks: [{ id: 'hist.a', codeHash: hash(1), maxAttempts: 9 }] });
    expect(same.body.tasks.find((t: { id: string }) => t.id === 'hist.a').maxAttempts).toBe(9);
    expect(await history('hist.a')).toHaveLength(1);

    await put('hist-worker', {
      tasks: [
        { id: 'hist.a', codeHash: hash(2) },
        { id: 'hist.b', codeHash: hash(1) },
      ],
    });
    const a = await history('hist.a');
    expect(a).toMatchObject([
      { previousHash: hash(1), newHash: hash(2) },
      { previousHash: null, newHash: hash(1) },
    ]);
    expect(a[0]!.changedAt > a[1]!.changedAt).toBe(true);
    expect(await history('hist.b')).toHaveLength(1);
  });

  describe('under concurrency', () => {
    it('20 concurrent first registrations with one hash: one 201, one history row', async () => {
      const body = { tasks: [{ id: 'conc.same', codeHash: hash('new') }] };
      const results = await Promise.all(Array.from({ length: 20 }, () => put('conc-same', body)));
      expect(results.filter((r) => r.status === 201)).toHaveLength(1);
      expect(results.filter((r) => r.status === 200)).toHaveLength(19);
      expect(await history('conc.same')).toMatchObject([{ previousHash: null, newHash: hash('new') }]);
      expect((await put('conc-same', body)).body.revision).toBe(21);
    });

    it('20 concurrent refreshes with one new hash write exactly one history row', async () => {
      await put('conc-refresh', { tasks: [{ id: 'conc.refresh', codeHash: hash(0) }] });
      const body = { tasks: [{ id: 'conc.refresh', codeHash: hash(1) }] };
      const results = await Promise.all(Array.from({ length: 20 }, () => put('conc-refresh', body)));
      expect(results.every((r) => r.status === 200)).toBe(true);
      expect(await history('conc.refresh')).toMatchObject([
        { previousHash: hash(0), newHash: hash(1) },
        { previousHash: null, newHash: hash(0) },
      ]);
    });

    it('20 concurrent refreshes with 20 hashes leave one unbroken chain', async () => {
      await put('conc-chain', { tasks: [{ id: 'conc.chain', codeHash: hash(0) }] });
      const results = await Promise.all(Array.from({ length: 20 }, (_, i) => put('conc-chain', { tasks: [{ id: 'conc.chain', codeHash: hash(i + 1) }] })));
      expect(results.every((r) => r.status === 200)).toBe(true);
      const items = await history('conc.chain');
      expect(items).toHaveLength(21);
      expectChain(items);
      expect(new Set(items.map((i) => i.newHash))).toEqual(new Set(Array.from({ length: 21 }, (_, i) => hash(i))));
      const [service] = (await services()).filter((s: { id: string }) => s.id === 'conc-chain');
      expect(service.tasks[0].codeHash).toBe(items[0]!.newHash);
      expect(service.revision).toBe(21);
    });

    it('two services racing for one task never deadlock and keep one chain', async () => {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          put(i % 2 ? 'race-odd' : 'race-even', {
            tasks: [
              { id: 'race.shared', codeHash: hash(i) },
              { id: `race.own-${i % 2}`, codeHash: hash(i) },
            ],
          }),
        ),
      );
      expect(results.map((r) => r.status).filter((s) => s !== 200 && s !== 201)).toEqual([]);
      const items = await history('race.shared');
      expect(items).toHaveLength(20);
      expectChain(items);
      const owner = (await services()).find((s: { tasks: { id: string }[] }) => s.tasks.some((t) => t.id === 'race.shared'));
      expect(owner.id).toBe(items[0]!.serviceId);
    });
  });

  it('moves a task registered by another service, with history only when the hash changes', async () => {
    await put('move-from', {
      tasks: [
        { id: 'move.task', codeHash: hash(1) },
        { id: 'move.stays', codeHash: hash(1) },
      ],
    });
    const moved = await put('move-to', { tasks: [{ id: 'move.task', codeHash: hash(1) }] });
    expect(moved.status).toBe(201);
    expect(moved.body.tasks.map((t: { id: string }) => t.id)).toEqual(['move.task']);
    const byId = Object.fromEntries((await services()).map((s: { id: string; tasks: { id: string }[] }) => [s.id, s.tasks.map((t) => t.id)]));
    expect(byId['move-from']).toEqual(['move.stays']);
    expect(byId['move-to']).toEqual(['move.task']);
    expect(await history('move.task')).toHaveLength(1);

    await put('move-from', { tasks: [{ id: 'move.task', codeHash: hash(2) }] });
    expect(await history('move.task')).toMatchObject([
      { previousHash: hash(1), newHash: hash(2), serviceId: 'move-from' },
      { previousHash: null, newHash: hash(1), serviceId: 'move-from' },
    ]);
  });

  it('lists services oldest first across pages, each once, with their tasks', async () => {
    const project = await newProject(api, 'listing');
    const ids = ['svc-1', 'svc-2', 'svc-3', 'svc-4', 'svc-5'];
    for (const id of ids) {
      await api.call('PUT', `/v1/services/${id}`, { token: project.key, body: { tasks: [{ id: `${id}.task`, codeHash: hash(1) }] } });
    }
    const seen: { id: string; tasks: { id: string }[] }[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const res = await api.call('GET', `/v1/services?limit=2${query}`, { token: project.key });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen.map((s) => s.id)).toEqual(ids);
    expect(seen.map((s) => s.tasks.map((t) => t.id))).toEqual(ids.map((id) => [`${id}.task`]));
  });

  it('pages through a history newest first', async () => {
    for (let i = 1; i <= 5; i++) await put('paged', { tasks: [{ id: 'paged.task', codeHash: hash(i) }] });
    const hashes: string[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const res = await call('GET', `/v1/tasks/paged.task/history?limit=2${query}`);
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      hashes.push(...res.body.items.map((i: Change) => i.newHash));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(hashes).toEqual([5, 4, 3, 2, 1].map(hash));
    expect((await call('GET', '/v1/tasks/paged.task/history?cursor=not-a-cursor')).status).toBe(400);
    expect((await call('GET', '/v1/tasks/paged.task/history?sort=asc')).status).toBe(400);
  });

  it("404s an unknown task and another project's task; never lists another project's services", async () => {
    await put('private-worker', { tasks: [{ id: 'private.task', codeHash: hash(1) }] });
    const unknown = await call('GET', '/v1/tasks/no-such-task/history');
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toBe('application/problem+json');
    expect(unknown.body).toMatchObject({ code: 'not_found', status: 404 });

    const other = await newProject(api, 'other');
    expect((await api.call('GET', '/v1/tasks/private.task/history', { token: other.key })).status).toBe(404);
    expect(await services(other.key)).toEqual([]);
    // The same names in another project are that project's own service and task.
    const theirs = await api.call('PUT', '/v1/services/private-worker', { token: other.key, body: { tasks: [{ id: 'private.task', codeHash: hash(9) }] } });
    expect(theirs.status).toBe(201);
    expect(await history('private.task')).toMatchObject([{ newHash: hash(1) }]);
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
    it.each(cases)('%s', async (_, service, body, path) => {
      const res = await put(service, body);
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.body.code).toBe('validation_failed');
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain(path);
      expect((await services()).map((s: { id: string }) => s.id)).not.toContain(service);
      expect((await call('GET', '/v1/tasks/bad.task/history')).status).toBe(404);
    });
  });
});
