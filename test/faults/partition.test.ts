/**
 * A network partition between the app and PostgreSQL: the proxy keeps every connection
 * open but forwards no byte, so nothing fails fast and only the configured bounds end the waits.
 * Every request is answered within the bound (+1 s): cached reads stale at once, the rest 503 with
 * Retry-After; when the network comes back the same app recovers without a restart.
 * `npm test` partitions for a few seconds; `npm run test:partition` for 40 s (PARTITION_SECONDS).
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { STATEMENT_GRACE_MS, createDatabase, type Database } from '../../db/client';
import { loadConfig } from '../../functions/config';
import { createApp } from '../../functions/api/app';
import { ADMIN_TOKEN, simpleDefinition } from '../support/api';
import { TEST_DATABASE_URL } from '../support/database';
import { startTcpProxy } from '../support/tcp-proxy';

const PARTITION_MS = Number(process.env.PARTITION_SECONDS ?? 4) * 1_000;
const TIMEOUTS = { DB_CONNECT_TIMEOUT_MS: '1000', DB_POOL_ACQUIRE_TIMEOUT_MS: '1000', DB_STATEMENT_TIMEOUT_MS: '1000' };
// The longest a request may wait on the database: one statement's bound and its grace (the pool
// wait and the connect are shorter than that), plus the 1 s the issue allows.
const BOUND_MS = Number(TIMEOUTS.DB_STATEMENT_TIMEOUT_MS) + STATEMENT_GRACE_MS + 1_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe.skipIf(!TEST_DATABASE_URL)('network partition (real Postgres behind a proxy that stops forwarding)', () => {
  let proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  let database: Database;
  let app: ReturnType<typeof createApp>;
  let key: string;
  let pipelineId: string;
  let runId: string;

  const call = async (method: string, path: string, body?: unknown, token = key) => {
    const started = performance.now();
    const res = await app.request(path, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body !== undefined && { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, text, ms: performance.now() - started };
  };

  beforeAll(async () => {
    const url = new URL(inject('testDatabaseUrl')!);
    proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
    url.host = `127.0.0.1:${proxy.port}`;
    const config = loadConfig(
      { DATABASE_URL: url.toString(), ADMIN_TOKEN, LOG_LEVEL: 'silent', CACHE_TTL_MS: '200', CACHE_STALE_IF_ERROR_MS: '600000', DB_POOL_MAX: '4', ...TIMEOUTS },
      'server',
    );
    database = await createDatabase(config.database);
    app = createApp({ database, config });
    const project = JSON.parse((await call('POST', '/v1/projects', { name: 'partition' }, ADMIN_TOKEN)).text);
    key = JSON.parse((await call('POST', `/v1/projects/${project.id}/keys`, {}, ADMIN_TOKEN)).text).key;
    pipelineId = JSON.parse((await call('POST', '/v1/pipelines', { name: 'partition', definition: simpleDefinition() })).text).id;
    runId = JSON.parse((await call('POST', `/v1/pipelines/${pipelineId}/runs`, {})).text).id;
  });
  afterAll(async () => {
    proxy?.restore();
    await database?.close();
    await proxy?.close();
  });

  it(`answers every request within ${BOUND_MS} ms during a ${PARTITION_MS / 1000} s partition, and recovers`, { timeout: PARTITION_MS + 60_000 }, async () => {
    const warm = await call('GET', `/v1/pipelines/${pipelineId}`);
    expect(warm.status).toBe(200);
    await sleep(250); // past CACHE_TTL_MS: every cached read now needs the database or stale-if-error

    proxy.partition();
    const started = performance.now();
    const seen = { stale: 0, unavailable: 0, rounds: 0 };
    let slowest = 0;
    while (performance.now() - started < PARTITION_MS) {
      const [cached, uncached, write, health] = await Promise.all([
        call('GET', `/v1/pipelines/${pipelineId}`),
        call('GET', `/v1/runs/${runId}`),
        call('POST', `/v1/pipelines/${pipelineId}/runs`, {}),
        call('GET', '/health'),
      ]);
      for (const [name, res] of Object.entries({ cached, uncached, write, health })) {
        slowest = Math.max(slowest, res.ms);
        expect(res.ms, `${name} answered ${res.status} after ${res.ms.toFixed(0)} ms`).toBeLessThan(BOUND_MS);
      }
      expect(cached.status).toBe(200);
      expect(cached.text).toBe(warm.text);
      expect(cached.headers.get('cache-status')).toContain('stale-if-error');
      seen.stale++;
      for (const res of [uncached, write, health]) {
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBeTruthy();
        // Only a stale body says it is stale.
        expect(res.headers.get('cache-status')).toBeNull();
        expect(res.headers.get('warning')).toBeNull();
        seen.unavailable++;
      }
      seen.rounds++;
    }
    expect(seen.rounds).toBeGreaterThan(0);
    if (process.env.PRINT_FIGURES) console.info(`partition: ${seen.rounds} rounds, slowest answer ${slowest.toFixed(0)} ms (bound ${BOUND_MS} ms)`);

    proxy.restore();
    const restoredAt = performance.now();
    let recovered: number | undefined;
    while (performance.now() - restoredAt < 15_000) {
      if ((await call('GET', `/v1/runs/${runId}`)).status === 200) {
        recovered = performance.now() - restoredAt;
        break;
      }
      await sleep(50);
    }
    expect(recovered).toBeDefined();
    if (process.env.PRINT_FIGURES) console.info(`recovered ${recovered!.toFixed(0)} ms after the network came back`);
    const write = await call('POST', `/v1/pipelines/${pipelineId}/runs`, {});
    expect(write.status).toBe(201);
    expect((await call('GET', `/v1/pipelines/${pipelineId}`)).headers.get('cache-status')).toBeNull();
  });
});
