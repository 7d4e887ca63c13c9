/**
 * Databases a bundled handler can reach from its own process, each with a fresh empty database:
 * - `data-api`: the local RDS Data API endpoint (test/support/data-api), backed by a scratch
 *   database on TEST_DATABASE_URL's server, or by an in-memory PGlite without it;
 * - `pg`: node-postgres on a scratch database (only with TEST_DATABASE_URL).
 * The test process reaches the same database with the same driver, for app.request() and checks.
 * `env` configures a handler through environment variables, `links` through SST links
 * (SST_RESOURCE_* variables, which is how SST hands Resource its values).
 */
import { PGlite } from '@electric-sql/pglite';
import { createDatabase, type Database } from '../../../db/client';
import { pgBackend, pgliteBackend, startDataApiServer, type DataApiServer } from '../../support/data-api/server';
import { TEST_DATABASE_URL, createScratchDatabase } from '../../support/database';

export interface HandlerBackend {
  name: 'data-api' | 'pg';
  database: Database;
  env: Record<string, string>;
  links: Record<string, string>;
  /** The local Data API endpoint (data-api only): pause() it to simulate a paused cluster. */
  dataApi?: DataApiServer;
  teardown(): Promise<void>;
}

const link = (name: string, value: unknown) => ({ [`SST_RESOURCE_${name}`]: JSON.stringify(value) });
const app = link('App', { name: 'pipestore', stage: 'test' });

export const HANDLER_BACKENDS: HandlerBackend['name'][] = TEST_DATABASE_URL ? ['data-api', 'pg'] : ['data-api'];

export async function startBackend(name: HandlerBackend['name'], label: string): Promise<HandlerBackend> {
  if (name === 'pg') {
    const scratch = await createScratchDatabase(`${label}_pg`);
    const database = await createDatabase({ driver: 'pg', connectionString: scratch.url, poolMax: 2, allowExitOnIdle: true, idleTimeoutMillis: 1_000 });
    return {
      name,
      database,
      env: { DATABASE_URL: scratch.url },
      links: { ...app, ...link('DatabaseUrl', { value: scratch.url }) },
      teardown: async () => (await database.close(), await scratch.drop()),
    };
  }
  const scratch = TEST_DATABASE_URL ? await createScratchDatabase(`${label}_dataapi`) : undefined;
  const pglite = scratch ? undefined : await PGlite.create();
  const server = await startDataApiServer(scratch ? pgBackend(scratch.url) : pgliteBackend(pglite!));
  const target = { resourceArn: server.resourceArn, secretArn: server.secretArn, database: server.database };
  const database = await createDatabase({ driver: 'data-api', ...target, endpoint: server.endpoint });
  return {
    name,
    database,
    dataApi: server,
    env: { DB_CLUSTER_ARN: target.resourceArn, DB_SECRET_ARN: target.secretArn, DB_NAME: target.database, AWS_ENDPOINT_URL_RDS_DATA: server.endpoint },
    links: {
      ...app,
      // What sst.aws.Aurora links (infra/database.ts); the endpoint override is not a link.
      ...link('Database', { clusterArn: target.resourceArn, secretArn: target.secretArn, database: target.database, host: 'localhost', port: 5432 }),
      AWS_ENDPOINT_URL_RDS_DATA: server.endpoint,
    },
    async teardown() {
      await database.close();
      await server.close();
      await pglite?.close();
      await scratch?.drop();
    },
  };
}
