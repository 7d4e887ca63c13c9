/**
 * The history of active versions (GET /v1/pipelines/{id}/activations), also under concurrent
 * activations, and the structural diff of two versions (GET …/versions/{a}/diff/{b}).
 */
import { describe, expect } from 'vitest';
import type { components } from '../../functions/client/generated/openapi';
import { newPipeline, newProject, simpleDefinition, type TestApi, type TypedClient, withId } from '../support/api';
import { test } from '../support/fixtures';

describe('activation history', () => {
  async function pipelineWithVersions(api: TestApi, key: string, count: number) {
    const pipeline = await newPipeline(api, key);
    const client = api.client(key);
    for (let n = 2; n <= count; n++) {
      expect(
        (await client.POST('/v1/pipelines/{id}/versions', { ...withId(pipeline.id), body: { definition: simpleDefinition(`-v${n}`) } })).response.status,
      ).toBe(201);
    }
    return pipeline;
  }

  async function history(client: TypedClient, idOrName: string) {
    const items: components['schemas']['Activation'][] = [];
    let cursor: string | undefined;
    do {
      const res = await client.GET('/v1/pipelines/{id}/activations', { params: { path: { id: idOrName }, query: { limit: 3, cursor } } });
      expect(res.response.status, JSON.stringify(res.error)).toBe(200);
      items.push(...res.data!.items);
      cursor = res.data!.nextCursor ?? undefined;
    } while (cursor);
    return items;
  }

  test('records creation and every change (from, to, key, time), newest first; a no-op activation is no change', async ({ api, project }) => {
    const { client } = project;
    const pipeline = await pipelineWithVersions(api, project.key, 3);
    for (const version of [3, 3, 1, 2])
      expect((await client.POST('/v1/pipelines/{id}/activate', { ...withId(pipeline.id), body: { version } })).response.status).toBe(200);
    const items = await history(client, pipeline.name);
    expect(items.map((a) => [a.fromVersion, a.toVersion])).toEqual([
      [1, 2],
      [3, 1],
      [1, 3],
      [null, 1],
    ]);
    expect(new Set(items.map((a) => a.keyId))).toEqual(new Set([project.keyId]));
    const times = items.map((a) => Date.parse(a.activatedAt));
    expect([...times].sort((a, b) => b - a)).toEqual(times);
  });

  test('keeps an unbroken chain under concurrent activations: each from is the previous to, the last to is active', async ({
    api,
    project: { key, client },
  }) => {
    const pipeline = await pipelineWithVersions(api, key, 5);
    const versions = Array.from({ length: 24 }, (_, i) => 1 + ((i * 3) % 5));
    const results = await Promise.all(versions.map((version) => client.POST('/v1/pipelines/{id}/activate', { ...withId(pipeline.id), body: { version } })));
    expect(results.map((r) => r.response.status)).toEqual(versions.map(() => 200));
    const oldestFirst = (await history(client, pipeline.id)).reverse();
    expect(oldestFirst[0]).toMatchObject({ fromVersion: null, toVersion: 1 });
    for (let i = 1; i < oldestFirst.length; i++) {
      expect(oldestFirst[i]!.fromVersion).toBe(oldestFirst[i - 1]!.toVersion);
      expect(oldestFirst[i]!.fromVersion).not.toBe(oldestFirst[i]!.toVersion);
    }
    const active = (await client.GET('/v1/pipelines/{id}', withId(pipeline.id))).data!.activeVersion;
    expect(oldestFirst.at(-1)!.toVersion).toBe(active);
    // The responses, in revision order, are the order the activations committed in: exactly the
    // changes among them are in the history, in that order.
    const committed = results.map((r) => r.data!).sort((a, b) => a.revision - b.revision);
    const changes: [number | null, number | null][] = [];
    let previous: number | null = 1;
    for (const { activeVersion } of committed) {
      if (activeVersion !== previous) changes.push([previous, activeVersion]);
      previous = activeVersion;
    }
    expect(oldestFirst.slice(1).map((a) => [a.fromVersion, a.toVersion])).toEqual(changes);
  });

  test('404 for an unknown pipeline or one of another project; 400 for a bad cursor', async ({ api, project: { key, client } }) => {
    const pipeline = await pipelineWithVersions(api, key, 1);
    expect((await client.GET('/v1/pipelines/{id}/activations', withId('pl_unknown'))).response.status).toBe(404);
    const stranger = api.client((await newProject(api, 'stranger')).key);
    expect((await stranger.GET('/v1/pipelines/{id}/activations', withId(pipeline.id))).response.status).toBe(404);
    const res = await client.GET('/v1/pipelines/{id}/activations', { params: { path: { id: pipeline.id }, query: { cursor: 'nope' } } });
    expect(res.response.status).toBe(400);
    expect(res.error?.errors?.[0]?.path).toBe('query.cursor');
  });
});

describe('version diff', () => {
  /** A pipeline with three versions: simpleDefinition, a changed and extended one, and a one-stage one. */
  async function threeVersions(api: TestApi, key: string) {
    const pipeline = await newPipeline(api, key);
    const client = api.client(key);
    const v2 = {
      stages: [
        {
          id: 'fetch',
          tasks: [
            { id: 'download', task: 'http.get' },
            { id: 'checksum', task: 'sha' },
          ],
        },
        { id: 'build', dependsOn: ['fetch'], tasks: [{ id: 'compile', task: 'compile', config: { optimize: false, level: 2 } }] },
        { id: 'publish', dependsOn: ['build'], tasks: [{ id: 'upload', task: 's3.put' }] },
      ],
    };
    expect((await client.POST('/v1/pipelines/{id}/versions', { ...withId(pipeline.id), body: { definition: v2 } })).response.status).toBe(201);
    expect(
      (await client.POST('/v1/pipelines/{id}/versions', { ...withId(pipeline.id), body: { definition: { stages: [{ id: 'only' }] } } })).response.status,
    ).toBe(201);
    return pipeline;
  }
  const diff = (client: TypedClient, idOrName: string, a: string, b: string) =>
    client.GET('/v1/pipelines/{id}/versions/{a}/diff/{b}', { params: { path: { id: idOrName, a, b } } });

  test('names added, removed and changed stages and tasks by id, then each changed field by JSONPath', async ({ api, project: { key, client } }) => {
    const pipeline = await threeVersions(api, key);
    const res = await diff(client, pipeline.id, '1', '2');
    expect(res.response.status).toBe(200);
    expect(res.data).toMatchObject({
      from: { number: 1 },
      to: { number: 2 },
      identical: false,
      stages: { added: ['publish'], removed: [], changed: ['fetch', 'build'] },
      tasks: { added: ['fetch/checksum', 'publish/upload'], removed: [], changed: ['build/compile'] },
    });
    expect(res.data!.changes).toEqual(
      expect.arrayContaining([
        { type: 'changed', path: '$.stages[?(@.id=="build")].tasks[?(@.id=="compile")].config.optimize', from: true, to: false },
        { type: 'added', path: '$.stages[?(@.id=="build")].tasks[?(@.id=="compile")].config.level', to: 2 },
        { type: 'added', path: '$.stages[?(@.id=="fetch")].tasks[?(@.id=="checksum")]', to: { id: 'checksum', task: 'sha' } },
        // A whole stage comes back in its definition's shape (tasks as a list).
        {
          type: 'added',
          path: '$.stages[?(@.id=="publish")]',
          to: { id: 'publish', dependsOn: ['build'], tasks: [{ id: 'upload', task: 's3.put' }] },
        },
      ]),
    );
    expect(res.data!.changes).toHaveLength(4);
    expect(res.data!.text.from).toContain('"optimize": true');
    expect(res.data!.text.to.split('\n').length).toBeGreaterThan(10);
  });

  test('diffs the other way round, by name and by content hash; the same version is identical', async ({ api, project: { key, client } }) => {
    const pipeline = await threeVersions(api, key);
    const back = await diff(client, pipeline.name, '3', pipeline.version.hash);
    expect(back.response.status).toBe(200);
    expect(back.data!.stages).toEqual({ added: ['fetch', 'build'], removed: ['only'], changed: [] });
    expect(back.data!.tasks.added).toEqual(['fetch/download', 'build/compile']);
    const same = await diff(client, pipeline.id, '2', '2');
    expect(same.data).toMatchObject({ identical: true, changes: [], stages: { added: [], removed: [], changed: [] } });
  });

  test('404 for an unknown version, pipeline, or another project; 400 for what is not a version', async ({ api, project: { key, client } }) => {
    const pipeline = await threeVersions(api, key);
    expect((await diff(client, pipeline.id, '1', '99')).response.status).toBe(404);
    expect((await diff(client, 'pl_unknown', '1', '2')).response.status).toBe(404);
    const stranger = api.client((await newProject(api, 'stranger')).key);
    expect((await diff(stranger, pipeline.id, '1', '2')).response.status).toBe(404);
    const bad = await diff(client, pipeline.id, 'latest', '2');
    expect(bad.response.status).toBe(400);
    expect(bad.error?.errors?.[0]?.path).toBe('param.a');
    expect((await diff(client, pipeline.id, '1', '99999999999')).error?.errors?.[0]?.path).toBe('param.b');
  });
});
