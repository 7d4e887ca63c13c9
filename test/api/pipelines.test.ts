import { beforeAll, describe, expect, it } from 'vitest';
import { newPipeline, newProject, simpleDefinition, testApi, type TestApi } from '../support/api';

describe('pipelines', () => {
  let api: TestApi;
  let key: string;
  beforeAll(async () => {
    api = await testApi();
    key = (await newProject(api)).key;
  });
  const call = (method: string, path: string, body?: unknown, headers?: Record<string, string>) => api.call(method, path, { token: key, body, headers });

  it('creates a pipeline whose first definition is version 1 and active', async () => {
    const res = await call('POST', '/v1/pipelines', {
      name: 'nightly-etl',
      description: 'Loads the warehouse',
      schedule: '0 3 * * *',
      labels: { team: 'data' },
      definition: simpleDefinition(),
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('etag')).toBe('"1"');
    expect(res.headers.get('location')).toBe(`/v1/pipelines/${res.body.id}`);
    expect(res.body).toMatchObject({
      id: expect.stringMatching(/^pl_/),
      name: 'nightly-etl',
      description: 'Loads the warehouse',
      schedule: '0 3 * * *',
      labels: { team: 'data' },
      activeVersion: 1,
      revision: 1,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
      version: { number: 1, hash: expect.stringMatching(/^[0-9a-f]{64}$/), definition: simpleDefinition() },
    });
  });

  it('gets a pipeline by id and by name, with its ETag', async () => {
    const created = await newPipeline(api, key);
    for (const handle of [created.id, created.name]) {
      const res = await call('GET', `/v1/pipelines/${handle}`);
      expect(res.status).toBe(200);
      expect(res.headers.get('etag')).toBe('"1"');
      expect(res.body).toEqual({ ...created, version: undefined });
    }
  });

  it('refuses a second pipeline with the same name in the project (409), and writes nothing', async () => {
    const first = await newPipeline(api, key);
    const listed = async () => (await call('GET', '/v1/pipelines?limit=200')).body.items as { id: string; name: string }[];
    const before = await listed();
    const res = await call('POST', '/v1/pipelines', { name: first.name, definition: { stages: [{ id: 'other' }] } });
    expect(res.status).toBe(409);
    expect(res.body.code).toBe('pipeline_name_taken');
    expect(await listed()).toEqual(before);
    const kept = await call('GET', `/v1/pipelines/${first.name}`);
    expect(kept.body).toMatchObject({ id: first.id, revision: 1, activeVersion: 1 });
    expect((await call('GET', `/v1/pipelines/${first.id}/versions`)).body.items).toHaveLength(1);
  });

  it('allows the same name in another project', async () => {
    const { name } = await newPipeline(api, key);
    const other = await newProject(api, 'other');
    expect((await api.call('POST', '/v1/pipelines', { token: other.key, body: { name, definition: simpleDefinition() } })).status).toBe(201);
  });

  it('patches metadata, bumps the revision and honours If-Match', async () => {
    const { id } = await newPipeline(api, key);
    const first = await call('PATCH', `/v1/pipelines/${id}`, { description: 'v2', labels: { a: 'b' } }, { 'If-Match': '"1"' });
    expect(first.status).toBe(200);
    expect(first.headers.get('etag')).toBe('"2"');
    expect(first.body).toMatchObject({ description: 'v2', labels: { a: 'b' }, revision: 2, activeVersion: 1 });

    const stale = await call('PATCH', `/v1/pipelines/${id}`, { description: 'lost update' }, { 'If-Match': '"1"' });
    expect(stale.status).toBe(412);
    expect(stale.body).toMatchObject({ code: 'precondition_failed', currentRevision: 2 });
    expect((await call('GET', `/v1/pipelines/${id}`)).body.description).toBe('v2');

    const unconditional = await call('PATCH', `/v1/pipelines/${id}`, { schedule: null, description: null });
    expect(unconditional.body).toMatchObject({ schedule: null, description: null, revision: 3 });
  });

  it('renames, but not onto a taken name', async () => {
    const a = await newPipeline(api, key);
    const b = await newPipeline(api, key);
    expect((await call('PATCH', `/v1/pipelines/${a.id}`, { name: `${a.name}-renamed` })).body.name).toBe(`${a.name}-renamed`);
    expect((await call('PATCH', `/v1/pipelines/${b.id}`, { name: `${a.name}-renamed` })).status).toBe(409);
  });

  it('deletes a pipeline (then 404), honouring If-Match', async () => {
    const { id } = await newPipeline(api, key);
    expect((await call('DELETE', `/v1/pipelines/${id}`, undefined, { 'If-Match': '"7"' })).status).toBe(412);
    expect((await call('DELETE', `/v1/pipelines/${id}`, undefined, { 'If-Match': '"1"' })).status).toBe(204);
    expect((await call('GET', `/v1/pipelines/${id}`)).status).toBe(404);
    expect((await call('DELETE', `/v1/pipelines/${id}`)).status).toBe(404);
  });

  it('lists pipelines oldest first across pages, each exactly once', async () => {
    const project = await newProject(api, 'listing');
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await newPipeline(api, project.key)).id);
    const seen: { id: string; createdAt: string }[] = [];
    let cursor: string | null = null;
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const res = await api.call('GET', `/v1/pipelines?limit=2${query}`, { token: project.key });
      expect(res.status).toBe(200);
      expect(res.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    expect(seen.map((p) => p.id).sort()).toEqual([...ids].sort());
    const times = seen.map((p) => p.createdAt);
    expect(times).toEqual([...times].sort());
  });

  it('404s an unknown pipeline', async () => {
    const res = await call('GET', '/v1/pipelines/does-not-exist');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ code: 'not_found', status: 404 });
  });
});
