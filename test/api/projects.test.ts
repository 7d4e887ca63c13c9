import { eq } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { apiKeys } from '../../db/schema';
import { ADMIN_TOKEN, newPipeline, type TestApi, type TypedClient, withId, withIfMatch } from '../support/api';
import { test } from '../support/fixtures';

const adminOf = (api: TestApi) => api.client(ADMIN_TOKEN);
const createProject = async (admin: TypedClient, name: string) => (await admin.POST('/v1/projects', { body: { name } })).data!;
const createKey = async (admin: TypedClient, projectId: string, body: { name?: string; expiresAt?: string } = {}) =>
  (await admin.POST('/v1/projects/{id}/keys', { ...withId(projectId), body })).data!;
const revokeKey = (admin: TypedClient, projectId: string, keyId: string) =>
  admin.DELETE('/v1/projects/{id}/keys/{keyId}', { params: { path: { id: projectId, keyId } } });
/** The status a project key gets for a read. */
const readStatus = async (api: TestApi, key: string) => (await api.client(key).GET('/v1/pipelines')).response.status;

describe('projects and API keys', () => {
  test('creates a project and returns its id and name', async ({ api }) => {
    const res = await adminOf(api).POST('/v1/projects', { body: { name: 'Acme data' } });
    expect(res.response.status).toBe(201);
    expect(res.data).toMatchObject({ id: expect.stringMatching(/^proj_/), name: 'Acme data' });
  });

  test('shows a key once and stores only its SHA-256, prefix and last four', async ({ api }) => {
    const admin = adminOf(api);
    const project = await createProject(admin, 'keys');
    const res = await admin.POST('/v1/projects/{id}/keys', { ...withId(project.id), body: { name: 'ci' } });
    expect(res.response.status).toBe(201);
    expect(res.response.headers.get('cache-control')).toBe('no-store');
    const { id, key } = res.data!;
    expect(key).toMatch(/^ps_[A-Za-z0-9_-]{43}$/);
    expect(res.data).toMatchObject({ id: expect.stringMatching(/^key_/), name: 'ci', lastFour: key.slice(-4) });

    const [stored] = await api.database.db.select().from(apiKeys).where(eq(apiKeys.id, id));
    expect(Object.values(stored!)).not.toContain(key);
    expect(stored!.hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored!.prefix).toBe(key.slice(0, 10));
    expect(await readStatus(api, key)).toBe(200);
  });

  test('creates a key without a body too', async ({ api }) => {
    const admin = adminOf(api);
    const project = await createProject(admin, 'no-body');
    expect((await admin.POST('/v1/projects/{id}/keys', withId(project.id))).response.status).toBe(201);
  });

  test('rejects a key for a project that does not exist with 404', async ({ api }) => {
    expect((await adminOf(api).POST('/v1/projects/{id}/keys', { ...withId('proj_missing'), body: {} })).response.status).toBe(404);
  });

  test('makes a revoked key useless immediately, and revoking twice is fine', async ({ api }) => {
    const admin = adminOf(api);
    const project = await createProject(admin, 'revoke');
    const { id, key } = await createKey(admin, project.id);
    expect((await revokeKey(admin, project.id, id)).response.status).toBe(204);
    expect((await revokeKey(admin, project.id, id)).response.status).toBe(204);
    expect(await readStatus(api, key)).toBe(401);
  });

  test("does not revoke a key through another project's path", async ({ api }) => {
    const admin = adminOf(api);
    const a = await createProject(admin, 'a');
    const b = await createProject(admin, 'b');
    const { id, key } = await createKey(admin, a.id);
    expect((await revokeKey(admin, b.id, id)).response.status).toBe(404);
    expect(await readStatus(api, key)).toBe(200);
  });

  test('rejects an expired key', async ({ api }) => {
    const admin = adminOf(api);
    const project = await createProject(admin, 'expiry');
    const past = await createKey(admin, project.id, { expiresAt: '2020-01-01T00:00:00Z' });
    const future = await createKey(admin, project.id, { expiresAt: '2999-01-01T00:00:00Z' });
    expect(await readStatus(api, past.key)).toBe(401);
    expect(await readStatus(api, future.key)).toBe(200);
  });

  test('pages through projects with a cursor, oldest first, without repeats', async ({ api }) => {
    const admin = adminOf(api);
    const created: string[] = [];
    for (let i = 0; i < 3; i++) created.push((await createProject(admin, `page-${i}`)).id);
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const res = await admin.GET('/v1/projects', { params: { query: { limit: 2, cursor } } });
      expect(res.data!.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.data!.items.map((p) => p.id));
      cursor = res.data!.nextCursor ?? undefined;
    } while (cursor);
    expect(new Set(seen).size).toBe(seen.length);
    // Other tests create projects at the same time: ours appear once each, in creation order.
    expect(seen.filter((id) => created.includes(id))).toEqual(created);
  });

  test('rejects a project without a name', async ({ api }) => {
    const res = await adminOf(api).POST('/v1/projects', { body: { name: '  ' } });
    expect(res.response.status).toBe(400);
    expect(res.error?.errors).toEqual([{ path: 'name', message: expect.any(String) }]);
  });

  test("lists a project's keys oldest first with prefix, last four and state, never the key or its hash", async ({ api }) => {
    const admin = adminOf(api);
    const project = await createProject(admin, 'listed keys');
    const first = await createKey(admin, project.id, { name: 'ci' });
    const second = await createKey(admin, project.id);
    await revokeKey(admin, project.id, second.id);

    const res = await admin.GET('/v1/projects/{id}/keys', { params: { path: { id: project.id }, query: { limit: 1 } } });
    expect(res.response.status).toBe(200);
    expect(res.data!.items).toEqual([
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
    const next = await admin.GET('/v1/projects/{id}/keys', { params: { path: { id: project.id }, query: { cursor: res.data!.nextCursor! } } });
    expect(next.data!.items.map((k) => k.id)).toEqual([second.id]);
    expect(next.data!.items[0]!.revokedAt).toEqual(expect.any(String));
    expect(next.data!.nextCursor).toBeNull();
    const text = JSON.stringify([res.data, next.data]);
    expect(text).not.toContain(first.key);
    expect(text).not.toContain(second.key);
    expect(text).not.toMatch(/"hash"/);
  });

  test('answers 404 for the keys of a project that does not exist', async ({ api }) => {
    expect((await adminOf(api).GET('/v1/projects/{id}/keys', withId('proj_missing'))).response.status).toBe(404);
  });

  test('deletes a project with everything in it; a stale If-Match is 412, a second delete 404', async ({ api, project }) => {
    const admin = adminOf(api);
    const created = await admin.POST('/v1/projects', { body: { name: 'etag' } });
    expect(created.response.headers.get('etag')).toBe('"1"');
    expect(created.response.headers.get('location')).toBe(`/v1/projects/${created.data!.id}`);
    await newPipeline(api, project.key);

    const stale = await admin.DELETE('/v1/projects/{id}', withIfMatch(project.id, '"2"'));
    expect(stale.response.status).toBe(412);
    expect(await readStatus(api, project.key)).toBe(200);

    const deleted = await admin.DELETE('/v1/projects/{id}', withIfMatch(project.id, '"1"'));
    expect(deleted.response.status).toBe(204);
    expect(await readStatus(api, project.key)).toBe(401);
    expect((await admin.GET('/v1/projects/{id}/keys', withId(project.id))).response.status).toBe(404);
    expect((await admin.DELETE('/v1/projects/{id}', withId(project.id))).response.status).toBe(404);
  });
});
