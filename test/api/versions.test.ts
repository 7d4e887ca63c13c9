import { describe, expect } from 'vitest';
import { contentHash } from '../../functions/core/hashing';
import { newPipeline, type TypedClient, withId, withIfMatch } from '../support/api';
import { test } from '../support/fixtures';

const definitionNumber = (n: number) => ({ stages: [{ id: 'only', tasks: [{ id: 't', task: 'work', config: { n } }] }] });
const register = (client: TypedClient, id: string, n: number) =>
  client.POST('/v1/pipelines/{id}/versions', { ...withId(id), body: { definition: definitionNumber(n) } });
const version = (client: TypedClient, id: string, numberOrHash: string) =>
  client.GET('/v1/pipelines/{id}/versions/{numberOrHash}', { params: { path: { id, numberOrHash } } });
const activate = (client: TypedClient, id: string, version: number, ifMatch?: string) =>
  client.POST('/v1/pipelines/{id}/activate', { ...(ifMatch === undefined ? withId(id) : withIfMatch(id, ifMatch)), body: { version } });
const versionNumbers = async (client: TypedClient, id: string) =>
  (await client.GET('/v1/pipelines/{id}/versions', { params: { path: { id }, query: { limit: 200 } } })).data!.items.map((v) => v.number);

describe('versions', () => {
  test('registers a new definition as the next number (201), the same one again as the existing version (200)', async ({ api, project: { key, client } }) => {
    const { id } = await newPipeline(api, key);
    const created = await register(client, id, 2);
    expect(created.response.status).toBe(201);
    expect(created.data).toMatchObject({ number: 2, hash: contentHash(definitionNumber(2)), definition: definitionNumber(2) });
    const again = await register(client, id, 2);
    expect(again.response.status).toBe(200);
    expect(again.data).toEqual(created.data);
    // Registering does not move the active version.
    expect((await client.GET('/v1/pipelines/{id}', withId(id))).data!.activeVersion).toBe(1);
  });

  test('hashes the canonical JSON: key order does not make a new version', async ({ api, project: { key, client } }) => {
    const { id } = await newPipeline(api, key, { definition: { stages: [{ id: 'a', name: 'A', config: { x: 1, y: 2 } }] } });
    const reordered = { stages: [{ config: { y: 2, x: 1 }, name: 'A', id: 'a' }] };
    const res = await client.POST('/v1/pipelines/{id}/versions', { ...withId(id), body: { definition: reordered } });
    expect(res.response.status).toBe(200);
    expect(res.data!.number).toBe(1);
  });

  test('gets a version by number and by hash, and 404s unknown ones', async ({ api, project: { key, client } }) => {
    const pipeline = await newPipeline(api, key);
    const hash = pipeline.version.hash;
    expect((await version(client, pipeline.id, '1')).data!.hash).toBe(hash);
    expect((await version(client, pipeline.id, hash)).data!.number).toBe(1);
    expect((await version(client, pipeline.id, '9')).response.status).toBe(404);
    expect((await version(client, pipeline.id, '0'.repeat(64))).response.status).toBe(404);
    const bad = await version(client, pipeline.id, 'latest');
    expect(bad.response.status).toBe(400);
    expect(bad.error?.errors?.[0]?.path).toBe('param.numberOrHash');
  });

  test('lists versions newest first across pages', async ({ api, project: { key, client } }) => {
    const { id } = await newPipeline(api, key);
    for (let n = 2; n <= 5; n++) await register(client, id, n);
    const numbers: number[] = [];
    let cursor: string | undefined;
    do {
      const res = await client.GET('/v1/pipelines/{id}/versions', { params: { path: { id }, query: { limit: 2, cursor } } });
      numbers.push(...res.data!.items.map((v) => v.number));
      cursor = res.data!.nextCursor ?? undefined;
    } while (cursor);
    expect(numbers).toEqual([5, 4, 3, 2, 1]);
  });

  test('activates an older version (rollback) with If-Match, and 412s a stale one', async ({ api, project: { key, client } }) => {
    const { id } = await newPipeline(api, key);
    await register(client, id, 2);
    const forward = await activate(client, id, 2, '"1"');
    expect(forward.response.status).toBe(200);
    expect(forward.data).toMatchObject({ activeVersion: 2, revision: 2 });
    expect(forward.response.headers.get('etag')).toBe('"2"');
    const stale = await activate(client, id, 1, '"1"');
    expect(stale.response.status).toBe(412);
    const rollback = await activate(client, id, 1, '"2"');
    expect(rollback.data).toMatchObject({ activeVersion: 1, revision: 3 });
  });

  test('404s activating a version that does not exist, and changes nothing', async ({ api, project: { key, client } }) => {
    const { id } = await newPipeline(api, key);
    const res = await activate(client, id, 3);
    expect(res.response.status).toBe(404);
    expect((await client.GET('/v1/pipelines/{id}', withId(id))).data).toMatchObject({ activeVersion: 1, revision: 1 });
  });

  describe('under concurrency', () => {
    test('50 concurrent registrations of one definition leave exactly one version', async ({ api, project: { key, client } }) => {
      const { id } = await newPipeline(api, key);
      const results = await Promise.all(Array.from({ length: 50 }, () => register(client, id, 42)));
      expect(results.filter((r) => r.response.status === 201)).toHaveLength(1);
      expect(results.filter((r) => r.response.status === 200)).toHaveLength(49);
      expect(new Set(results.map((r) => r.data?.id)).size).toBe(1);
      expect(await versionNumbers(client, id)).toEqual([2, 1]);
    });

    test('50 concurrent registrations of different definitions number them 2..51 without a gap', async ({ api, project: { key, client } }) => {
      const { id } = await newPipeline(api, key);
      const results = await Promise.all(Array.from({ length: 50 }, (_, i) => register(client, id, i)));
      expect(results.every((r) => r.response.status === 201)).toBe(true);
      const numbers = (await versionNumbers(client, id)).sort((a, b) => a - b);
      expect(numbers).toEqual(Array.from({ length: 51 }, (_, i) => i + 1));
    });

    test('20 concurrent activations with the same If-Match let exactly one through', async ({ api, project: { key, client } }) => {
      const { id } = await newPipeline(api, key);
      await register(client, id, 2);
      const results = await Promise.all(Array.from({ length: 20 }, () => activate(client, id, 2, '"1"')));
      expect(results.filter((r) => r.response.status === 200)).toHaveLength(1);
      expect(results.filter((r) => r.response.status === 412)).toHaveLength(19);
      expect((await client.GET('/v1/pipelines/{id}', withId(id))).data).toMatchObject({ activeVersion: 2, revision: 2 });
    });
  });
});
