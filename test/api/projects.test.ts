import { eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { apiKeys } from '../../db/schema';
import { ADMIN_TOKEN, newPipeline, newProject, testApi, type TestApi } from '../support/api';

describe('projects and API keys', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await testApi();
  });
  const admin = (method: string, path: string, body?: unknown) => api.call(method, path, { token: ADMIN_TOKEN, body });

  it('creates a project and returns its id and name', async () => {
    const res = await admin('POST', '/v1/projects', { name: 'Acme data' });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ id: expect.stringMatching(/^proj_/), name: 'Acme data' });
  });

  it('shows a key once and stores only its SHA-256, prefix and last four', async () => {
    const project = (await admin('POST', '/v1/projects', { name: 'keys' })).body;
    const res = await admin('POST', `/v1/projects/${project.id}/keys`, { name: 'ci' });
    expect(res.status).toBe(201);
    expect(res.headers.get('cache-control')).toBe('no-store');
    const { id, key } = res.body;
    expect(key).toMatch(/^ps_[A-Za-z0-9_-]{43}$/);
    expect(res.body).toMatchObject({ id: expect.stringMatching(/^key_/), name: 'ci', lastFour: key.slice(-4) });

    const [stored] = await api.database.db.select().from(apiKeys).where(eq(apiKeys.id, id));
    expect(Object.values(stored!)).not.toContain(key);
    expect(stored!.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored!.prefix).toBe(key.slice(0, 10));
    expect((await api.call('GET', '/v1/pipelines', { token: key })).status).toBe(200);
  });

  it('creates a key without a body too', async () => {
    const project = (await admin('POST', '/v1/projects', { name: 'no-body' })).body;
    expect((await api.call('POST', `/v1/projects/${project.id}/keys`, { token: ADMIN_TOKEN })).status).toBe(201);
  });

  it('rejects a key for a project that does not exist with 404', async () => {
    expect((await admin('POST', '/v1/projects/proj_missing/keys', {})).status).toBe(404);
  });

  it('makes a revoked key useless immediately, and revoking twice is fine', async () => {
    const project = (await admin('POST', '/v1/projects', { name: 'revoke' })).body;
    const { id, key } = (await admin('POST', `/v1/projects/${project.id}/keys`, {})).body;
    expect((await admin('DELETE', `/v1/projects/${project.id}/keys/${id}`)).status).toBe(204);
    expect((await admin('DELETE', `/v1/projects/${project.id}/keys/${id}`)).status).toBe(204);
    expect((await api.call('GET', '/v1/pipelines', { token: key })).status).toBe(401);
  });

  it("does not revoke a key through another project's path", async () => {
    const a = (await admin('POST', '/v1/projects', { name: 'a' })).body;
    const b = (await admin('POST', '/v1/projects', { name: 'b' })).body;
    const { id, key } = (await admin('POST', `/v1/projects/${a.id}/keys`, {})).body;
    expect((await admin('DELETE', `/v1/projects/${b.id}/keys/${id}`)).status).toBe(404);
    expect((await api.call('GET', '/v1/pipelines', { token: key })).status).toBe(200);
  });

  it('rejects an expired key', async () => {
    const project = (await admin('POST', '/v1/projects', { name: 'expiry' })).body;
    const past = (await admin('POST', `/v1/projects/${project.id}/keys`, { expiresAt: '2020-01-01T00:00:00Z' })).body;
    const future = (await admin('POST', `/v1/projects/${project.id}/keys`, { expiresAt: '2999-01-01T00:00:00Z' })).body;
    expect((await api.call('GET', '/v1/pipelines', { token: past.key })).status).toBe(401);
    expect((await api.call('GET', '/v1/pipelines', { token: future.key })).status).toBe(200);
  });

  it('pages through projects with a cursor, oldest first, without repeats', async () => {
    const created: string[] = [];
    for (let i = 0; i < 3; i++) created.push((await admin('POST', '/v1/projects', { name: `page-${i}` })).body.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const res: { body: { items: { id: string }[]; nextCursor: string | null } } = await admin(
        'GET',
        `/v1/projects?limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
      );
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items.map((p) => p.id));
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    // Other tests create projects at the same time: ours appear once each, in creation order.
    expect(seen.filter((id) => created.includes(id))).toEqual(created);
  });

  it('rejects a project without a name', async () => {
    const res = await admin('POST', '/v1/projects', { name: '  ' });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: 'name', message: expect.any(String) }]);
  });

  it("lists a project's keys oldest first with prefix, last four and state, never the key or its hash", async () => {
    const project = (await admin('POST', '/v1/projects', { name: 'listed keys' })).body;
    const first = (await admin('POST', `/v1/projects/${project.id}/keys`, { name: 'ci' })).body;
    const second = (await admin('POST', `/v1/projects/${project.id}/keys`, {})).body;
    await admin('DELETE', `/v1/projects/${project.id}/keys/${second.id}`);

    const res = await admin('GET', `/v1/projects/${project.id}/keys?limit=1`);
    expect(res.status).toBe(200);
    expect(res.body.items).toEqual([
      {
        id: first.id,
        projectId: project.id,
        name: 'ci',
        prefix: first.prefix,
        lastFour: first.lastFour,
        createdAt: first.createdAt,
        expiresAt: null,
        revokedAt: null,
      },
    ]);
    const next = await admin('GET', `/v1/projects/${project.id}/keys?cursor=${encodeURIComponent(res.body.nextCursor)}`);
    expect(next.body.items.map((k: { id: string }) => k.id)).toEqual([second.id]);
    expect(next.body.items[0].revokedAt).toEqual(expect.any(String));
    expect(next.body.nextCursor).toBeNull();
    const text = JSON.stringify([res.body, next.body]);
    expect(text).not.toContain(first.key);
    expect(text).not.toContain(second.key);
    expect(text).not.toMatch(/"hash"/);
  });

  it('answers 404 for the keys of a project that does not exist', async () => {
    expect((await admin('GET', '/v1/projects/proj_missing/keys')).status).toBe(404);
  });

  it('deletes a project with everything in it; a stale If-Match is 412, a second delete 404', async () => {
    const project = await newProject(api, 'doomed');
    const created = await admin('POST', '/v1/projects', { name: 'etag' });
    expect(created.headers.get('etag')).toBe('"1"');
    expect(created.headers.get('location')).toBe(`/v1/projects/${created.body.id}`);
    await newPipeline(api, project.key);

    const stale = await api.call('DELETE', `/v1/projects/${project.id}`, { token: ADMIN_TOKEN, headers: { 'If-Match': '"2"' } });
    expect(stale.status).toBe(412);
    expect((await api.call('GET', '/v1/pipelines', { token: project.key })).status).toBe(200);

    const deleted = await api.call('DELETE', `/v1/projects/${project.id}`, { token: ADMIN_TOKEN, headers: { 'If-Match': '"1"' } });
    expect(deleted.status).toBe(204);
    expect((await api.call('GET', '/v1/pipelines', { token: project.key })).status).toBe(401);
    expect((await admin('GET', `/v1/projects/${project.id}/keys`)).status).toBe(404);
    expect((await admin('DELETE', `/v1/projects/${project.id}`)).status).toBe(404);
  });
});
