/**
 * Exactly once under database faults: real PostgreSQL behind a TCP proxy that resets
 * the app's connection at one point of a POST with an Idempotency-Key, then the client retries
 * with the same key. Whatever the point, one resource exists and the retry answers with it.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDatabase, type Database } from '../../db/client';
import { loadConfig } from '../../functions/config';
import { createApp } from '../../functions/api/app';
import { ADMIN_TOKEN, simpleDefinition } from '../support/api';
import { TEST_DATABASE_URL } from '../support/database';
import { startTcpProxy, type CutPoint } from '../support/tcp-proxy';

type Proxy = Awaited<ReturnType<typeof startTcpProxy>>;

describe.skipIf(!TEST_DATABASE_URL)('Idempotency-Key under connection resets (real Postgres behind a proxy)', () => {
  let proxy: Proxy;
  const databases: Database[] = [];
  let apps: ReturnType<typeof createApp>[];
  let direct: pg.Client;
  let key: string;
  let pipelineId: string;

  const openApp = async () => {
    const url = new URL(inject('testDatabaseUrl')!);
    url.host = `127.0.0.1:${proxy.port}`;
    const database = await createDatabase({ driver: 'pg', connectionString: url.toString(), poolMax: 4, allowExitOnIdle: true, idleTimeoutMillis: 5_000 });
    databases.push(database);
    return createApp({ database, config: loadConfig({ ADMIN_TOKEN, LOG_LEVEL: 'silent', CACHE_TTL_MS: '0' }) });
  };
  const call = async (app: ReturnType<typeof createApp>, method: string, path: string, body?: unknown, headers: Record<string, string> = {}, token = key) => {
    const res = await app.request(path, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body !== undefined && { 'Content-Type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, text: await res.text() };
  };
  const runsWithInput = async (marker: string) =>
    (await direct.query('select id from pipeline_runs where pipeline_id = $1 and input->>$2 is not null', [pipelineId, marker])).rows.map(
      (r) => r.id as string,
    );

  beforeAll(async () => {
    const target = new URL(inject('testDatabaseUrl')!);
    proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
    apps = [await openApp(), await openApp()];
    direct = new pg.Client({ connectionString: inject('testDatabaseUrl')! });
    await direct.connect();
    const project = JSON.parse((await call(apps[0]!, 'POST', '/v1/projects', { name: 'faults' }, {}, ADMIN_TOKEN)).text);
    key = JSON.parse((await call(apps[0]!, 'POST', `/v1/projects/${project.id}/keys`, {}, {}, ADMIN_TOKEN)).text).key;
    pipelineId = JSON.parse((await call(apps[0]!, 'POST', '/v1/pipelines', { name: 'faults', definition: simpleDefinition() })).text).id;
  });
  afterAll(async () => {
    await direct?.end();
    for (const database of databases) await database.close();
    await proxy?.close();
  });

  // node-postgres sends BEGIN and COMMIT as simple queries: 'Q', a length, the text.
  const simpleQuery = (text: string) => new RegExp(`Q\\0\\0\\0.${text}\\0`, 's');
  const points: [string, CutPoint, string][] = [
    ['before BEGIN', { match: simpleQuery('begin'), when: 'before' }, 'marker-1'],
    ['after the INSERT of the run (before COMMIT)', { match: /insert into "pipeline_runs"/, when: 'after-reply' }, 'marker-2'],
    ['between COMMIT and its reply', { match: simpleQuery('commit'), when: 'after-reply' }, 'marker-3'],
  ];

  it.each(points)('cut %s: the retry gives one run and the original answer', async (_, point, marker) => {
    const path = `/v1/pipelines/${pipelineId}/runs`;
    const body = { input: { [marker]: true } };
    const headers = { 'Idempotency-Key': marker };
    const cut = proxy.cutAt(point);
    const first = await call(apps[0]!, 'POST', path, body, headers);
    await cut;
    expect(first.status).toBe(503);
    expect(first.headers.get('retry-after')).toBeTruthy();

    const committed = await runsWithInput(marker);
    // Only a cut after COMMIT reached the server leaves a run behind.
    expect(committed).toHaveLength(marker === 'marker-3' ? 1 : 0);

    const retry = await call(apps[0]!, 'POST', path, body, headers);
    expect(retry.status).toBe(201);
    const runs = await runsWithInput(marker);
    expect(runs).toHaveLength(1);
    expect(JSON.parse(retry.text).id).toBe(runs[0]);
    if (committed.length) expect(retry.headers.get('idempotent-replayed')).toBe('true');
    // Every later retry, on either instance, is that answer byte for byte.
    for (const app of apps) {
      const again = await call(app, 'POST', path, body, headers);
      expect(again.status).toBe(201);
      expect(again.text).toBe(retry.text);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
    }
  });

  it('a pool of one (Lambda) survives a BEGIN that never reached the server: the connection is not leaked', async () => {
    const url = new URL(inject('testDatabaseUrl')!);
    url.host = `127.0.0.1:${proxy.port}`;
    const single = await createDatabase({ driver: 'pg', connectionString: url.toString(), poolMax: 1, allowExitOnIdle: true, idleTimeoutMillis: 5_000 });
    databases.push(single);
    const cut = proxy.cutAt({ match: simpleQuery('begin'), when: 'before' });
    await expect(single.db.transaction(async (tx) => tx.execute('select 1'))).rejects.toThrow();
    await cut;
    await expect(single.db.transaction(async (tx) => tx.execute('select 1'))).resolves.toBeDefined();
  });

  it('50 concurrent same-key POSTs across two app instances during a cut: one run, every answered response identical', async () => {
    const marker = 'stampede-two-instances';
    const path = `/v1/pipelines/${pipelineId}/runs`;
    const body = { input: { [marker]: true } };
    const headers = { 'Idempotency-Key': marker };
    // The first COMMIT to reach the server loses its reply, and a reset of everything follows.
    const cut = proxy.cutAt({ match: simpleQuery('commit'), when: 'after-reply' });
    const firstRound = await Promise.all(Array.from({ length: 50 }, (_, i) => call(apps[i % 2]!, 'POST', path, body, headers)));
    await cut;
    const statuses = new Set(firstRound.map((r) => r.status));
    for (const status of statuses) expect([201, 409, 503]).toContain(status);
    // Each client retries until it gets an answer, as a client honouring Retry-After would.
    const answers = await Promise.all(
      firstRound.map(async (res, i) => {
        let current = res;
        for (let attempt = 0; current.status !== 201 && attempt < 20; attempt++) {
          await new Promise((r) => setTimeout(r, 100));
          current = await call(apps[i % 2]!, 'POST', path, body, headers);
        }
        return current;
      }),
    );
    expect(answers.map((r) => r.status)).toEqual(Array(50).fill(201));
    expect(new Set(answers.map((r) => r.text)).size).toBe(1);
    const runs = await runsWithInput(marker);
    expect(runs).toHaveLength(1);
    expect(JSON.parse(answers[0]!.text).id).toBe(runs[0]);
  });
});
