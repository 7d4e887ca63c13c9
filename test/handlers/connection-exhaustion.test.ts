/**
 * A database out of connection slots (max_connections reached) is a 503 with Retry-After and its
 * own problem code, answered at once: never a 500, never a hang. Each "container" is built as
 * functions/handlers/api.ts builds one (loadLambdaConfig: a pool of one connection); a container
 * whose connect was refused keeps no broken client, so its next request connects afresh. On a
 * PostgreSQL of the test's own with max_connections 8 (3 of them reserved for superusers), whose
 * slots the test takes itself.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../db/client';
import { migrateDatabase } from '../../db/migrate';
import { createApp } from '../../functions/api/app';
import { loadLambdaConfig } from '../../functions/handlers/lambda-config';
import { startLocalPostgres, type LocalPostgres } from '../support/local-postgres';

const ADMIN_TOKEN = 'connection-exhaustion-admin-token';
const MAX_CONNECTIONS = 8;
const APP_PASSWORD = 'app-role-password';

describe('a database out of connection slots', { timeout: 60_000 }, () => {
  let server: LocalPostgres;
  let superuserUrl: string;
  let appUrl: string;
  const held: pg.Client[] = [];
  const databases: Database[] = [];

  const urlFor = (user: string, password: string, database: string) => `postgres://${user}:${password}@127.0.0.1:${server.port}/${database}`;

  beforeAll(async () => {
    server = await startLocalPostgres({ maxConnections: MAX_CONNECTIONS });
    const admin = new pg.Client({ connectionString: urlFor('postgres', server.password, 'postgres') });
    await admin.connect();
    await admin.query(`create role app login password '${APP_PASSWORD}'`);
    await admin.query('create database pipestore owner app');
    await admin.end();
    superuserUrl = urlFor('postgres', server.password, 'pipestore');
    appUrl = urlFor('app', APP_PASSWORD, 'pipestore');
    const setup = await createDatabase({ driver: 'pg', connectionString: appUrl, poolMax: 1, allowExitOnIdle: true, idleTimeoutMillis: 100 });
    await migrateDatabase(setup);
    await setup.close();
  }, 240_000);
  afterAll(async () => {
    for (const client of held) await client.end().catch(() => undefined);
    for (const database of databases) await database.close().catch(() => undefined);
    await server?.stop();
  }, 60_000);

  /** A fresh Lambda container of the API: its own module-scope pool of one connection. */
  async function container(databaseUrl: string) {
    const config = loadLambdaConfig({ DATABASE_URL: databaseUrl, ADMIN_TOKEN, LOG_LEVEL: 'silent' }, {});
    expect(config.database).toMatchObject({ driver: 'pg', poolMax: 1 });
    const database = await createDatabase(config.database);
    databases.push(database);
    const app = createApp({ database, config });
    return (method: string, path: string, token: string, body?: unknown) =>
      app.request(path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
  }

  /** Opens connections as `url`'s role until the server refuses one; returns the refusal. */
  async function takeEverySlot(url: string): Promise<Error & { code?: string }> {
    for (let i = 0; i <= MAX_CONNECTIONS; i++) {
      const client = new pg.Client({ connectionString: url });
      try {
        await client.connect();
        held.push(client);
      } catch (err) {
        return err as Error & { code?: string };
      }
    }
    throw new Error(`the server accepted more than max_connections (${MAX_CONNECTIONS}) connections`);
  }

  const releaseOne = async () => held.pop()!.end();

  it('503 database_connections_exhausted with Retry-After at once; the next request connects again', async () => {
    // Set up while slots are free; the container then goes away with its connection.
    const setup = await container(appUrl);
    const project = await (await setup('POST', '/v1/projects', ADMIN_TOKEN, { name: 'exhausted' })).json();
    const { key } = await (await setup('POST', `/v1/projects/${project.id}/keys`, ADMIN_TOKEN, {})).json();
    await databases.pop()!.close();

    // Every slot an ordinary role may take is taken: PostgreSQL refuses with 53300.
    const refusal = await takeEverySlot(appUrl);
    expect(refusal).toMatchObject({ code: '53300', message: expect.stringMatching(/remaining connection slots are reserved/) });

    const call = await container(appUrl);
    for (const [method, path, body] of [
      ['GET', '/v1/pipelines', undefined],
      ['POST', '/v1/pipelines', { name: 'refused', definition: { stages: [{ id: 's' }] } }],
    ] as const) {
      const started = performance.now();
      const res = await call(method, path, key, body);
      expect(performance.now() - started, `${method} ${path} answered at once`).toBeLessThan(3_000);
      expect(res.status, `${method} ${path}`).toBe(503);
      expect(res.headers.get('retry-after')).toBe('2');
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(await res.json()).toMatchObject({ status: 503, code: 'database_connections_exhausted' });
    }

    // A slot frees up: the same container's next request opens a connection and succeeds (its
    // pool of one kept nothing of the refused attempts).
    await releaseOne();
    const created = await call('POST', '/v1/pipelines', key, { name: 'after-refusal', definition: { stages: [{ id: 's' }] } });
    expect(created.status).toBe(201);
    expect((await call('GET', '/v1/pipelines/after-refusal', key)).status).toBe(200);
  });

  it('every slot taken, the superuser ones too ("too many clients"): the same answer', async () => {
    // The earlier containers' connections would otherwise free slots whenever they idle out.
    for (const database of databases.splice(0)) await database.close();
    const refusal = await takeEverySlot(superuserUrl);
    expect(refusal).toMatchObject({ code: '53300', message: expect.stringMatching(/too many clients already/) });
    const call = await container(superuserUrl);
    const res = await call('GET', '/v1/projects', ADMIN_TOKEN);
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(await res.json()).toMatchObject({ code: 'database_connections_exhausted' });
    const health = await call('GET', '/health', ADMIN_TOKEN);
    expect(health.status).toBe(503);
    expect(await health.json()).toMatchObject({ status: 'unavailable', database: { reachable: false } });

    await releaseOne();
    expect((await call('GET', '/v1/projects', ADMIN_TOKEN)).status).toBe(200);
  });
});
