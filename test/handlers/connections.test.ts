/**
 * Connection budget of the API on node-postgres: every Lambda container has its own pool of one
 * connection (loadLambdaConfig's defaults), so N concurrent containers never hold more than N
 * server connections however many requests each one juggles, and an idle container gives its
 * connection back after the idle timeout. 20 containers are simulated in this process, each built
 * exactly as functions/handlers/api.ts builds one.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../db/client';
import { migrateDatabase } from '../../db/migrate';
import { createApp } from '../../functions/api/app';
import { loadLambdaConfig } from '../../functions/handlers/lambda-config';
import { TEST_DATABASE_URL, createScratchDatabase } from '../support/database';

const CONTAINERS = 20;
const ADMIN_TOKEN = 'connection-budget-admin-token';

describe.skipIf(!TEST_DATABASE_URL)('connection budget of Lambda containers on PostgreSQL', () => {
  let scratch: Awaited<ReturnType<typeof createScratchDatabase>>;
  let monitor: pg.Client;
  const databases: Database[] = [];

  beforeAll(async () => {
    scratch = await createScratchDatabase('connections');
    const setup = await createDatabase({ driver: 'pg', connectionString: scratch.url, poolMax: 1, allowExitOnIdle: true, idleTimeoutMillis: 100 });
    await migrateDatabase(setup);
    await setup.close();
    // On the server's own database, so it is not one of the connections it counts.
    monitor = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await monitor.connect();
  });
  afterAll(async () => {
    for (const d of databases) await d.close();
    await monitor?.end();
    await scratch?.drop();
  });

  const serverConnections = async () =>
    Number((await monitor.query('select count(*)::int as n from pg_stat_activity where datname = $1', [new URL(scratch.url).pathname.slice(1)])).rows[0].n);

  it(`${CONTAINERS} busy containers hold at most ${CONTAINERS} connections, and release them when idle`, async () => {
    const config = loadLambdaConfig({ DATABASE_URL: scratch.url, ADMIN_TOKEN, LOG_LEVEL: 'silent' }, {});
    expect(config.database).toMatchObject({ driver: 'pg', poolMax: 1, allowExitOnIdle: true });
    const idleTimeout = (config.database as { idleTimeoutMillis: number }).idleTimeoutMillis;
    const apps: ReturnType<typeof createApp>[] = [];
    for (let i = 0; i < CONTAINERS; i++) {
      const database = await createDatabase(config.database);
      databases.push(database);
      apps.push(createApp({ database, config }));
    }
    const call = (app: (typeof apps)[number], method: string, path: string, token: string, body?: unknown) =>
      app.request(path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const project = await (await call(apps[0]!, 'POST', '/v1/projects', ADMIN_TOKEN, { name: 'budget' })).json();
    const { key } = await (await call(apps[0]!, 'POST', `/v1/projects/${project.id}/keys`, ADMIN_TOKEN, {})).json();

    let peak = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        peak = Math.max(peak, await serverConnections());
        await new Promise((r) => setTimeout(r, 5));
      }
    })();
    // Every container serves several requests at once (more than its pool), for a few rounds.
    for (let round = 0; round < 4; round++) {
      const responses = await Promise.all(
        apps.flatMap((app, i) => [
          call(app, 'POST', '/v1/pipelines', key, { name: `p-${round}-${i}`, definition: { stages: [{ id: 's' }] } }),
          call(app, 'GET', '/v1/pipelines?limit=5', key),
          call(app, 'GET', '/health', key),
        ]),
      );
      expect(responses.map((r) => r.status).filter((s) => s >= 300)).toEqual([]);
    }
    sampling = false;
    await sampler;
    expect(peak).toBeGreaterThan(1);
    expect(peak).toBeLessThanOrEqual(CONTAINERS);

    // Idle containers (no request for idleTimeoutMillis) give their connections back.
    const idleSince = performance.now();
    while ((await serverConnections()) > 0 && performance.now() - idleSince < idleTimeout + 5_000) {
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(await serverConnections()).toBe(0);
    console.info(
      `peak ${peak} server connections for ${CONTAINERS} containers; all released ${Math.round(performance.now() - idleSince)} ms after the last request (idle timeout ${idleTimeout} ms)`,
    );
    expect(performance.now() - idleSince).toBeGreaterThan(idleTimeout - 1_000);
  });
});
