/**
 * What the memory layer promises while the database is up: this process's writes are visible at
 * once, another process's within CACHE_TTL_MS, and a failed write leaves nothing in memory.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_TOKEN, newPipeline, newProject, testApi, type TestApi } from '../support/api';

const TTL_MS = 300;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('memory layer consistency', () => {
  let processA: TestApi;
  let processB: TestApi;
  let key: string;
  beforeAll(async () => {
    // Two apps over one database: two containers, each with its own memory.
    processA = await testApi({ CACHE_TTL_MS: String(TTL_MS) });
    processB = await testApi({ CACHE_TTL_MS: String(TTL_MS) });
    key = (await newProject(processA)).key;
  });
  const get = (api: TestApi, path: string) => api.call('GET', path, { token: key });

  it('sees its own writes at once', async () => {
    const { id } = await newPipeline(processA, key);
    expect((await get(processA, `/v1/pipelines/${id}`)).body.description).toBeNull();
    await processA.call('PATCH', `/v1/pipelines/${id}`, { token: key, body: { description: 'mine' } });
    expect((await get(processA, `/v1/pipelines/${id}`)).body.description).toBe('mine');
  });

  it("sees another process's write after at most CACHE_TTL_MS", async () => {
    const { id, name } = await newPipeline(processA, key);
    await get(processA, `/v1/pipelines/${id}`);
    await get(processA, `/v1/pipelines/${name}`);
    const written = performance.now();
    expect((await processB.call('PATCH', `/v1/pipelines/${id}`, { token: key, body: { description: 'theirs' } })).status).toBe(200);
    // The promise: a read that starts more than CACHE_TTL_MS after the write sees it. Judged by
    // when each read started, not when it answered, so a busy machine cannot fail it, only slow it.
    const staleReadsStartedAt: number[] = [];
    let seen = false;
    while (!seen && performance.now() - written < TTL_MS + 30_000) {
      const startedAt = performance.now() - written;
      const [byId, byName] = await Promise.all([get(processA, `/v1/pipelines/${id}`), get(processA, `/v1/pipelines/${name}`)]);
      seen = byId.body.description === 'theirs' && byName.body.description === 'theirs';
      if (!seen) {
        staleReadsStartedAt.push(startedAt);
        await sleep(20);
      }
    }
    expect(seen).toBe(true);
    expect(Math.max(0, ...staleReadsStartedAt)).toBeLessThanOrEqual(TTL_MS);
  });

  it('keeps no phantom entry from a failed write', async () => {
    const taken = await newPipeline(processA, key);
    const { id, name } = await newPipeline(processA, key);
    await get(processA, `/v1/pipelines/${id}`);
    const rename = await processA.call('PATCH', `/v1/pipelines/${id}`, { token: key, body: { name: taken.name, description: 'lost' } });
    expect(rename.status).toBe(409);
    expect((await get(processA, `/v1/pipelines/${id}`)).body).toMatchObject({ name, description: null, revision: 1 });
    expect((await get(processA, `/v1/pipelines/${taken.name}`)).body.id).toBe(taken.id);
  });

  it('stops accepting a revoked key in this process at once', async () => {
    const project = await newProject(processA, 'revocation');
    expect((await processA.call('GET', '/v1/pipelines', { token: project.key })).status).toBe(200);
    await processA.call('DELETE', `/v1/projects/${project.id}/keys/${project.keyId}`, { token: ADMIN_TOKEN });
    expect((await processA.call('GET', '/v1/pipelines', { token: project.key })).status).toBe(401);
  });

  it('reports hits, misses, stale serves and evictions in /health', async () => {
    const { id } = await newPipeline(processA, key);
    await get(processA, `/v1/pipelines/${id}`);
    await get(processA, `/v1/pipelines/${id}`);
    const health = (await processA.call('GET', '/health')).body;
    expect(health.cache).toEqual({
      entries: expect.any(Number),
      hits: expect.any(Number),
      misses: expect.any(Number),
      staleServes: 0,
      evictions: 0,
    });
    expect(health.cache.hits).toBeGreaterThan(0);
  });

  // 80 sequential requests: a second or two idle, much longer beside other work.
  it('stays within CACHE_MAX_ENTRIES under a stream of distinct reads', { timeout: 180_000 }, async () => {
    const bounded = await testApi({ CACHE_MAX_ENTRIES: '20' });
    const { id } = await newPipeline(bounded, key);
    for (let n = 2; n <= 40; n++) {
      await bounded.call('POST', `/v1/pipelines/${id}/versions`, { token: key, body: { definition: { stages: [{ id: `s${n}` }] } } });
    }
    for (let n = 1; n <= 40; n++) expect((await get(bounded, `/v1/pipelines/${id}/versions/${n}`)).status).toBe(200);
    const { cache } = (await bounded.call('GET', '/health')).body;
    expect(cache.entries).toBeLessThanOrEqual(20);
    expect(cache.evictions).toBeGreaterThan(0);
  });
});
