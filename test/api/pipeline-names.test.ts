/**
 * A pipeline is addressed by id or by name on every route that takes one; activate takes a
 * version number or a content hash. Ids are prefixed (`pl_…`) and names are slugs, so a reference
 * is never ambiguous.
 */
import { describe, expect } from 'vitest';
import { newPipeline, newProject, simpleDefinition, withId, withIfMatch } from '../support/api';
import { test } from '../support/fixtures';

describe('pipelines by name', () => {
  test('updates, versions, activates by hash, runs and deletes a pipeline named in the path', async ({ api, project: { key, client } }) => {
    const pipeline = await newPipeline(api, key, { name: 'named-one' });
    const byName = withId(pipeline.name);

    const patched = await client.PATCH('/v1/pipelines/{id}', { ...withIfMatch(pipeline.name, '"1"'), body: { description: 'by name' } });
    expect(patched.response.status).toBe(200);
    expect(patched.data).toMatchObject({ id: pipeline.id, description: 'by name', revision: 2 });

    const v2 = await client.POST('/v1/pipelines/{id}/versions', { ...byName, body: { definition: simpleDefinition('-v2') } });
    expect(v2.response.status).toBe(201);
    expect(v2.data).toMatchObject({ pipelineId: pipeline.id, number: 2 });
    expect((await client.GET('/v1/pipelines/{id}/versions', byName)).data!.items.map((v) => v.number)).toEqual([2, 1]);
    const byHashPath = { params: { path: { id: pipeline.name, numberOrHash: v2.data!.hash } } };
    expect((await client.GET('/v1/pipelines/{id}/versions/{numberOrHash}', byHashPath)).data!.number).toBe(2);

    const byHash = await client.POST('/v1/pipelines/{id}/activate', { ...byName, body: { version: v2.data!.hash } });
    expect(byHash.response.status).toBe(200);
    expect(byHash.data!.activeVersion).toBe(2);
    const byNumber = await client.POST('/v1/pipelines/{id}/activate', { ...byName, body: { version: 1 } });
    expect(byNumber.data!.activeVersion).toBe(1);
    const unknownHash = await client.POST('/v1/pipelines/{id}/activate', { ...byName, body: { version: 'f'.repeat(64) } });
    expect(unknownHash.response.status).toBe(404);

    const run = await client.POST('/v1/pipelines/{id}/runs', { ...byName, body: {} });
    expect(run.response.status).toBe(201);
    expect(run.data).toMatchObject({ pipelineId: pipeline.id, version: 1 });
    expect((await client.GET('/v1/pipelines/{id}/runs', byName)).data!.items.map((r) => r.id)).toEqual([run.data!.id]);

    expect((await client.DELETE('/v1/pipelines/{id}', byName)).response.status).toBe(204);
    expect((await client.GET('/v1/pipelines/{id}', withId(pipeline.id))).response.status).toBe(404);
  });

  test("answers 404 to an unknown name and to another project's pipeline by name", async ({ api, project: { call } }) => {
    // A table of routes and bodies, sent untyped.
    const other = await newProject(api, 'names-other');
    await newPipeline(api, other.key, { name: 'theirs' });
    for (const [method, path, body] of [
      ['PATCH', '/v1/pipelines/theirs', { description: 'x' }],
      ['DELETE', '/v1/pipelines/theirs', undefined],
      ['GET', '/v1/pipelines/theirs/versions', undefined],
      ['POST', '/v1/pipelines/theirs/activate', { version: 1 }],
      ['POST', '/v1/pipelines/theirs/runs', {}],
      ['GET', '/v1/pipelines/no-such-pipeline/runs', undefined],
      ['GET', '/v1/pipelines/Not_A_Name/versions/1', undefined],
    ] as const) {
      const res = await call(method, path, body);
      expect({ method, path, status: res.status, code: res.body.code }).toEqual({ method, path, status: 404, code: 'not_found' });
    }
  });

  test('refuses an activate version that is neither a number nor a hash with 400', async ({ api, project: { key, client } }) => {
    const pipeline = await newPipeline(api, key);
    const res = await client.POST('/v1/pipelines/{id}/activate', { ...withId(pipeline.id), body: { version: 'v1' } });
    expect(res.response.status).toBe(400);
    expect(res.error?.errors?.[0]?.path).toBe('version');
  });
});
