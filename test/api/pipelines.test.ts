import { describe, expect } from 'vitest';
import { newPipeline, newProject, simpleDefinition, withId, withIfMatch } from '../support/api';
import { test } from '../support/fixtures';

describe('pipelines', () => {
  test('creates a pipeline whose first definition is version 1 and active', async ({ project: { client } }) => {
    const res = await client.POST('/v1/pipelines', {
      body: {
        name: 'nightly-etl',
        description: 'Loads the warehouse',
        schedule: '0 3 * * *',
        labels: { team: 'data' },
        definition: simpleDefinition(),
      },
    });
    expect(res.response.status).toBe(201);
    expect(res.response.headers.get('etag')).toBe('"1"');
    expect(res.response.headers.get('location')).toBe(`/v1/pipelines/${res.data?.id}`);
    expect(res.data).toMatchObject({
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

  test('gets a pipeline by id and by name, with its ETag', async ({ api, project: { key, client } }) => {
    const created = await newPipeline(api, key);
    for (const handle of [created.id, created.name]) {
      const res = await client.GET('/v1/pipelines/{id}', withId(handle));
      expect(res.response.status).toBe(200);
      expect(res.response.headers.get('etag')).toBe('"1"');
      expect(res.data).toEqual({ ...created, version: undefined });
    }
  });

  test('refuses a second pipeline with the same name in the project (409), and writes nothing', async ({ api, project: { key, client } }) => {
    const first = await newPipeline(api, key);
    const listed = async () => (await client.GET('/v1/pipelines', { params: { query: { limit: 200 } } })).data!.items;
    const before = await listed();
    const res = await client.POST('/v1/pipelines', { body: { name: first.name, definition: { stages: [{ id: 'other' }] } } });
    expect(res.response.status).toBe(409);
    expect(res.error?.code).toBe('pipeline_name_taken');
    expect(await listed()).toEqual(before);
    const kept = await client.GET('/v1/pipelines/{id}', withId(first.name));
    expect(kept.data).toMatchObject({ id: first.id, revision: 1, activeVersion: 1 });
    expect((await client.GET('/v1/pipelines/{id}/versions', withId(first.id))).data?.items).toHaveLength(1);
  });

  test('allows the same name in another project', async ({ api, project: { key } }) => {
    const { name } = await newPipeline(api, key);
    const other = await newProject(api, 'other');
    expect((await api.client(other.key).POST('/v1/pipelines', { body: { name, definition: simpleDefinition() } })).response.status).toBe(201);
  });

  test('patches metadata, bumps the revision and honours If-Match', async ({ api, project: { key, client } }) => {
    const { id } = await newPipeline(api, key);
    const first = await client.PATCH('/v1/pipelines/{id}', { ...withIfMatch(id, '"1"'), body: { description: 'v2', labels: { a: 'b' } } });
    expect(first.response.status).toBe(200);
    expect(first.response.headers.get('etag')).toBe('"2"');
    expect(first.data).toMatchObject({ description: 'v2', labels: { a: 'b' }, revision: 2, activeVersion: 1 });

    const stale = await client.PATCH('/v1/pipelines/{id}', { ...withIfMatch(id, '"1"'), body: { description: 'lost update' } });
    expect(stale.response.status).toBe(412);
    expect(stale.error).toMatchObject({ code: 'precondition_failed', currentRevision: 2 });
    expect((await client.GET('/v1/pipelines/{id}', withId(id))).data?.description).toBe('v2');

    const unconditional = await client.PATCH('/v1/pipelines/{id}', { ...withId(id), body: { schedule: null, description: null } });
    expect(unconditional.data).toMatchObject({ schedule: null, description: null, revision: 3 });
  });

  test('renames, but not onto a taken name', async ({ api, project: { key, client } }) => {
    const a = await newPipeline(api, key);
    const b = await newPipeline(api, key);
    expect((await client.PATCH('/v1/pipelines/{id}', { ...withId(a.id), body: { name: `${a.name}-renamed` } })).data?.name).toBe(`${a.name}-renamed`);
    expect((await client.PATCH('/v1/pipelines/{id}', { ...withId(b.id), body: { name: `${a.name}-renamed` } })).response.status).toBe(409);
  });

  test('deletes a pipeline (then 404), honouring If-Match', async ({ api, project: { key, client } }) => {
    const { id } = await newPipeline(api, key);
    expect((await client.DELETE('/v1/pipelines/{id}', withIfMatch(id, '"7"'))).response.status).toBe(412);
    expect((await client.DELETE('/v1/pipelines/{id}', withIfMatch(id, '"1"'))).response.status).toBe(204);
    expect((await client.GET('/v1/pipelines/{id}', withId(id))).response.status).toBe(404);
    expect((await client.DELETE('/v1/pipelines/{id}', withId(id))).response.status).toBe(404);
  });

  test('lists pipelines oldest first across pages, each exactly once', async ({ api, project: { key, client } }) => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push((await newPipeline(api, key)).id);
    const seen: { id: string; createdAt: string }[] = [];
    let cursor: string | undefined;
    do {
      const res = await client.GET('/v1/pipelines', { params: { query: { limit: 2, cursor } } });
      expect(res.response.status).toBe(200);
      expect(res.data?.items.length).toBeLessThanOrEqual(2);
      seen.push(...(res.data?.items ?? []));
      cursor = res.data?.nextCursor ?? undefined;
    } while (cursor);
    expect(seen.map((p) => p.id).sort()).toEqual([...ids].sort());
    const times = seen.map((p) => p.createdAt);
    expect(times).toEqual([...times].sort());
  });

  test('404s an unknown pipeline', async ({ project: { client } }) => {
    const res = await client.GET('/v1/pipelines/{id}', withId('does-not-exist'));
    expect(res.response.status).toBe(404);
    expect(res.error).toMatchObject({ code: 'not_found', status: 404 });
  });
});
