/**
 * Authentication during an outage: a key known only from a stale cache entry may have
 * been revoked elsewhere meanwhile, so for up to CACHE_STALE_IF_ERROR_MS it may read what the
 * memory layer holds and nothing more: writes are 503, uncached reads 503 at once; after the
 * outage the revocation holds.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ADMIN_TOKEN, simpleDefinition } from '../support/api';
import { TEST_DATABASE_URL } from '../support/database';
import { type ProxiedApp, proxiedApp } from '../support/proxied-app';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!TEST_DATABASE_URL)('stale authentication during an outage', () => {
  let subject: ProxiedApp;
  const call = (method: string, path: string, token: string, body?: unknown) => subject.request(method, path, token, body);

  beforeAll(async () => {
    subject = await proxiedApp({ CACHE_TTL_MS: '100' });
  });
  afterAll(() => subject?.close());

  it('a key revoked elsewhere during the outage reads cached data only, writes nothing, and is refused after', async () => {
    const project = (await call('POST', '/v1/projects', ADMIN_TOKEN, { name: 'stale-auth' })).body;
    const created = (await call('POST', `/v1/projects/${project.id}/keys`, ADMIN_TOKEN, {})).body;
    const key = created.key as string;
    const pipeline = (await call('POST', '/v1/pipelines', key, { name: 'stale-auth', definition: simpleDefinition() })).body;
    const run = (await call('POST', `/v1/pipelines/${pipeline.id}/runs`, key, {})).body;
    expect((await call('GET', `/v1/pipelines/${pipeline.id}`, key)).status).toBe(200);
    await sleep(150); // past CACHE_TTL_MS

    // Revoked by another process (straight in the database), then the outage begins.
    const direct = new pg.Client({ connectionString: inject('testDatabaseUrl')! });
    await direct.connect();
    await direct.query('update api_keys set revoked_at = now() where id = $1', [created.id]);
    subject.proxy.cut();

    const read = await call('GET', `/v1/pipelines/${pipeline.id}`, key);
    expect(read.status).toBe(200);
    expect(read.headers.get('cache-status')).toContain('stale-if-error');
    const uncached = await call('GET', `/v1/runs/${run.id}`, key);
    expect(uncached.status).toBe(503);
    expect(uncached.headers.get('cache-status')).toBeNull();
    for (const write of [
      call('POST', `/v1/pipelines/${pipeline.id}/runs`, key, {}),
      call('PATCH', `/v1/pipelines/${pipeline.id}`, key, { description: 'x' }),
      call('PUT', '/v1/idempotency/k', key, { result: 1 }),
    ]) {
      const res = await write;
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBeTruthy();
      expect(res.headers.get('cache-status')).toBeNull();
      expect(res.headers.get('warning')).toBeNull();
    }

    subject.proxy.restore();
    await sleep(50);
    let status = 0;
    for (let i = 0; i < 100 && status !== 401; i++) {
      status = (await call('GET', `/v1/pipelines/${pipeline.id}`, key)).status;
      if (status !== 401) await sleep(100);
    }
    expect(status).toBe(401);
    const { rows } = await direct.query('select count(*)::int as n from pipeline_runs where pipeline_id = $1', [pipeline.id]);
    expect(rows[0].n).toBe(1);
    await direct.end();
  });
});
