/**
 * The history of active versions (GET /v1/pipelines/{id}/activations), also under concurrent
 * activations, and the structural diff of two versions (GET …/versions/{a}/diff/{b}).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { newPipeline, newProject, simpleDefinition, testApi, type TestApi } from '../support/api';

describe('activation history', () => {
  let api: TestApi;
  let project: Awaited<ReturnType<typeof newProject>>;
  beforeAll(async () => {
    api = await testApi();
    project = await newProject(api);
  });
  const call = (method: string, path: string, body?: unknown, token = project.key) => api.call(method, path, { token, body });

  async function pipelineWithVersions(count: number) {
    const pipeline = await newPipeline(api, project.key);
    for (let n = 2; n <= count; n++) {
      expect((await call('POST', `/v1/pipelines/${pipeline.id}/versions`, { definition: simpleDefinition(`-v${n}`) })).status).toBe(201);
    }
    return pipeline as { id: string; name: string };
  }

  async function history(idOrName: string) {
    const items: { fromVersion: number | null; toVersion: number; keyId: string | null; id: number; activatedAt: string }[] = [];
    let cursor: string | null = null;
    do {
      const res = await call('GET', `/v1/pipelines/${idOrName}/activations?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      items.push(...res.body.items);
      cursor = res.body.nextCursor;
    } while (cursor);
    return items;
  }

  it('records creation and every change (from, to, key, time), newest first; a no-op activation is no change', async () => {
    const pipeline = await pipelineWithVersions(3);
    for (const version of [3, 3, 1, 2]) expect((await call('POST', `/v1/pipelines/${pipeline.id}/activate`, { version })).status).toBe(200);
    const items = await history(pipeline.name);
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

  it('keeps an unbroken chain under concurrent activations: each from is the previous to, the last to is active', async () => {
    const pipeline = await pipelineWithVersions(5);
    const versions = Array.from({ length: 24 }, (_, i) => 1 + ((i * 3) % 5));
    const results = await Promise.all(versions.map((version) => call('POST', `/v1/pipelines/${pipeline.id}/activate`, { version })));
    expect(results.map((r) => r.status)).toEqual(versions.map(() => 200));
    const oldestFirst = (await history(pipeline.id)).reverse();
    expect(oldestFirst[0]).toMatchObject({ fromVersion: null, toVersion: 1 });
    for (let i = 1; i < oldestFirst.length; i++) {
      expect(oldestFirst[i]!.fromVersion).toBe(oldestFirst[i - 1]!.toVersion);
      expect(oldestFirst[i]!.fromVersion).not.toBe(oldestFirst[i]!.toVersion);
    }
    const active = (await call('GET', `/v1/pipelines/${pipeline.id}`)).body.activeVersion;
    expect(oldestFirst.at(-1)!.toVersion).toBe(active);
    // The responses, in revision order, are the order the activations committed in: exactly the
    // changes among them are in the history, in that order.
    const committed = results.map((r) => r.body).sort((a, b) => a.revision - b.revision);
    const changes: [number, number][] = [];
    let previous = 1;
    for (const { activeVersion } of committed) {
      if (activeVersion !== previous) changes.push([previous, activeVersion]);
      previous = activeVersion;
    }
    expect(oldestFirst.slice(1).map((a) => [a.fromVersion, a.toVersion])).toEqual(changes);
  });

  it('404 for an unknown pipeline or one of another project; 400 for a bad cursor', async () => {
    const pipeline = await pipelineWithVersions(1);
    expect((await call('GET', '/v1/pipelines/pl_unknown/activations')).status).toBe(404);
    const stranger = await newProject(api, 'stranger');
    expect((await call('GET', `/v1/pipelines/${pipeline.id}/activations`, undefined, stranger.key)).status).toBe(404);
    const res = await call('GET', `/v1/pipelines/${pipeline.id}/activations?cursor=nope`);
    expect(res.status).toBe(400);
    expect(res.body.errors[0].path).toBe('query.cursor');
  });
});

describe('version diff', () => {
  let api: TestApi;
  let key: string;
  let pipeline: { id: string; name: string; version: { hash: string } };
  beforeAll(async () => {
    api = await testApi();
    key = (await newProject(api)).key;
    pipeline = await newPipeline(api, key);
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
    expect((await api.call('POST', `/v1/pipelines/${pipeline.id}/versions`, { token: key, body: { definition: v2 } })).status).toBe(201);
    expect((await api.call('POST', `/v1/pipelines/${pipeline.id}/versions`, { token: key, body: { definition: { stages: [{ id: 'only' }] } } })).status).toBe(
      201,
    );
  });
  const diff = (a: string, b: string, idOrName = pipeline.id, token = key) => api.call('GET', `/v1/pipelines/${idOrName}/versions/${a}/diff/${b}`, { token });

  it('names added, removed and changed stages and tasks by id, then each changed field by JSONPath', async () => {
    const res = await diff('1', '2');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      from: { number: 1 },
      to: { number: 2 },
      identical: false,
      stages: { added: ['publish'], removed: [], changed: ['fetch', 'build'] },
      tasks: { added: ['fetch/checksum', 'publish/upload'], removed: [], changed: ['build/compile'] },
    });
    expect(res.body.changes).toEqual(
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
    expect(res.body.changes).toHaveLength(4);
    expect(res.body.text.from).toContain('"optimize": true');
    expect(res.body.text.to.split('\n').length).toBeGreaterThan(10);
  });

  it('diffs the other way round, by name and by content hash; the same version is identical', async () => {
    const back = await diff('3', pipeline.version.hash, pipeline.name);
    expect(back.status).toBe(200);
    expect(back.body.stages).toEqual({ added: ['fetch', 'build'], removed: ['only'], changed: [] });
    expect(back.body.tasks.added).toEqual(['fetch/download', 'build/compile']);
    const same = await diff('2', '2');
    expect(same.body).toMatchObject({ identical: true, changes: [], stages: { added: [], removed: [], changed: [] } });
  });

  it('404 for an unknown version, pipeline, or another project; 400 for what is not a version', async () => {
    expect((await diff('1', '99')).status).toBe(404);
    expect((await diff('1', '2', 'pl_unknown')).status).toBe(404);
    const stranger = (await newProject(api, 'stranger')).key;
    expect((await diff('1', '2', pipeline.id, stranger)).status).toBe(404);
    const bad = await diff('latest', '2');
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].path).toBe('param.a');
    expect((await diff('1', '99999999999')).body.errors[0].path).toBe('param.b');
  });
});
