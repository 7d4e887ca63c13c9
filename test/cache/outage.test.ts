/**
 * The memory layer under a database outage, on real PostgreSQL behind a TCP proxy we cut
 * (PGlite is in-process and cannot be cut). README, Memory layer.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { ADMIN_TOKEN } from '../support/api';
import { TEST_DATABASE_URL } from '../support/database';
import { type ProxiedApp, proxiedApp } from '../support/proxied-app';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!TEST_DATABASE_URL)('database outage (real Postgres behind a TCP proxy)', () => {
  let subject: ProxiedApp;
  let key: string;
  let pipeline: { id: string; name: string; description: string | null };
  const acknowledgedRuns: string[] = [];

  const call = (method: string, path: string, body?: unknown, token = key) => subject.request(method, path, token, body);

  beforeAll(async () => {
    // The pool of a process that may exit when idle, as the test's own driver config had it.
    subject = await proxiedApp({ CACHE_TTL_MS: '100', CACHE_STALE_IF_ERROR_MS: '60000', DB_ALLOW_EXIT_ON_IDLE: 'true' });
    const project = await call('POST', '/v1/projects', { name: 'outage' }, ADMIN_TOKEN);
    key = (await call('POST', `/v1/projects/${project.body.id}/keys`, {}, ADMIN_TOKEN)).body.key;
    pipeline = (await call('POST', '/v1/pipelines', { name: 'outage', description: 'before', definition: { stages: [{ id: 'a' }] } })).body;
  });
  afterAll(() => subject?.close());

  it('serves cached reads stale, refuses the rest with 503, loses no acknowledged write and recovers within a second', async () => {
    // Warm: the pipeline, a version, the list, and the key lookup itself.
    const warm = await call('GET', `/v1/pipelines/${pipeline.id}`);
    expect(warm.status).toBe(200);
    expect((await call('GET', `/v1/pipelines/${pipeline.id}/versions/1`)).status).toBe(200);
    const warmList = await call('GET', '/v1/pipelines');
    for (let i = 0; i < 5; i++) {
      const run = await call('POST', `/v1/pipelines/${pipeline.id}/runs`, {});
      expect(run.status).toBe(201);
      acknowledgedRuns.push(run.body.id);
    }
    await sleep(150); // past CACHE_TTL_MS: what follows is stale-if-error, not a fresh hit

    subject.proxy.cut();
    const stale = await call('GET', `/v1/pipelines/${pipeline.id}`);
    expect(stale.status).toBe(200);
    expect(stale.body).toEqual(warm.body);
    expect(stale.headers.get('cache-status')).toContain('stale-if-error');
    expect(stale.headers.get('warning')).toContain('110');

    const version = await call('GET', `/v1/pipelines/${pipeline.id}/versions/1`);
    expect(version.status).toBe(200);

    const list = await call('GET', '/v1/pipelines');
    expect(list.status).toBe(200);
    expect(list.body).toEqual(warmList.body);
    expect(list.headers.get('cache-status')).toContain('last-known-page');

    const uncached = await call('GET', `/v1/runs/${acknowledgedRuns[0]}`);
    expect(uncached.status).toBe(503);
    expect(uncached.headers.get('retry-after')).toBeTruthy();
    expect(uncached.body.code).toBe('database_unavailable');
    expect(JSON.stringify(uncached.body)).not.toMatch(/ECONN|terminated|postgres/i);

    const writes = await Promise.all([
      call('POST', `/v1/pipelines/${pipeline.id}/runs`, {}),
      call('PATCH', `/v1/pipelines/${pipeline.id}`, { description: 'during outage' }),
      call('POST', '/v1/pipelines', { name: 'during-outage', definition: { stages: [{ id: 'a' }] } }),
    ]);
    expect(writes.map((w) => w.status)).toEqual([503, 503, 503]);
    for (const w of writes) expect(w.headers.get('retry-after')).toBeTruthy();

    // The failed PATCH left nothing behind in memory either.
    expect((await call('GET', `/v1/pipelines/${pipeline.id}`)).body.description).toBe('before');

    subject.proxy.restore();
    const restoredAt = performance.now();
    let recovered: number | undefined;
    while (performance.now() - restoredAt < 5_000) {
      if ((await call('GET', `/v1/runs/${acknowledgedRuns[0]}`)).status === 200) {
        recovered = performance.now() - restoredAt;
        break;
      }
      await sleep(10);
    }
    expect(recovered).toBeDefined();
    expect(recovered!).toBeLessThan(1_000);
    if (process.env.PRINT_FIGURES) console.info(`recovered ${recovered!.toFixed(1)} ms after the proxy came back`);

    // Every acknowledged write is in the database, read past the app and its cache.
    const direct = new pg.Client({ connectionString: inject('testDatabaseUrl')! });
    await direct.connect();
    try {
      const { rows } = await direct.query('select id from pipeline_runs where id = any($1)', [acknowledgedRuns]);
      expect(rows.map((r) => r.id).sort()).toEqual([...acknowledgedRuns].sort());
      const { rows: pipelines } = await direct.query('select description from pipelines where id = $1', [pipeline.id]);
      expect(pipelines[0].description).toBe('before');
    } finally {
      await direct.end();
    }
    expect((await call('GET', `/v1/pipelines/${pipeline.id}`)).headers.get('cache-status')).toBeNull();
  });
});
