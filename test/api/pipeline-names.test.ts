/**
 * A pipeline is addressed by id or by name on every route that takes one; activate takes a
 * version number or a content hash. Ids are prefixed (`pl_…`) and names are slugs, so a reference
 * is never ambiguous.
 */
import { describe, expect } from 'vitest';
import { newPipeline, newProject, simpleDefinition } from '../support/api';
import { test } from '../support/fixtures';

describe('pipelines by name', () => {
  test('updates, versions, activates by hash, runs and deletes a pipeline named in the path', async ({ api, project: { key, call } }) => {
    const pipeline = await newPipeline(api, key, { name: 'named-one' });
    const base = `/v1/pipelines/${pipeline.name}`;

    const patched = await call('PATCH', base, { description: 'by name' }, { 'If-Match': '"1"' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: pipeline.id, description: 'by name', revision: 2 });

    const v2 = await call('POST', `${base}/versions`, { definition: simpleDefinition('-v2') });
    expect(v2.status).toBe(201);
    expect(v2.body).toMatchObject({ pipelineId: pipeline.id, number: 2 });
    expect((await call('GET', `${base}/versions`)).body.items.map((v: { number: number }) => v.number)).toEqual([2, 1]);
    expect((await call('GET', `${base}/versions/${v2.body.hash}`)).body.number).toBe(2);

    const byHash = await call('POST', `${base}/activate`, { version: v2.body.hash });
    expect(byHash.status).toBe(200);
    expect(byHash.body.activeVersion).toBe(2);
    const byNumber = await call('POST', `${base}/activate`, { version: 1 });
    expect(byNumber.body.activeVersion).toBe(1);
    const unknownHash = await call('POST', `${base}/activate`, { version: 'f'.repeat(64) });
    expect(unknownHash.status).toBe(404);

    const run = await call('POST', `${base}/runs`, {});
    expect(run.status).toBe(201);
    expect(run.body).toMatchObject({ pipelineId: pipeline.id, version: 1 });
    expect((await call('GET', `${base}/runs`)).body.items.map((r: { id: string }) => r.id)).toEqual([run.body.id]);

    expect((await call('DELETE', base)).status).toBe(204);
    expect((await call('GET', `/v1/pipelines/${pipeline.id}`)).status).toBe(404);
  });

  test("answers 404 to an unknown name and to another project's pipeline by name", async ({ api, project: { call } }) => {
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

  test('refuses an activate version that is neither a number nor a hash with 400', async ({ api, project: { key, call } }) => {
    const pipeline = await newPipeline(api, key);
    const res = await call('POST', `/v1/pipelines/${pipeline.id}/activate`, { version: 'v1' });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].path).toBe('version');
  });
});
