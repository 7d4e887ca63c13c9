/**
 * A brand-new, empty database per driver, for suites that need their own (migrations from
 * scratch, cleanup that is not project-scoped). node-postgres needs TEST_DATABASE_URL; the Data API
 * goes through the real RDSDataClient to the local endpoint, over PostgreSQL when there is one and
 * over PGlite otherwise.
 */
import { PGlite } from '@electric-sql/pglite';
import { createDatabase, type Database } from '../../db/client';
import { pgBackend, pgliteBackend, startDataApiServer } from './data-api/server';
import { TEST_DATABASE_URL, createScratchDatabase } from './database';

export interface FreshDatabase {
  database: Database;
  /** The scratch database's URL when the driver is node-postgres. */
  url?: string;
  teardown(): Promise<void>;
}

export type FreshDatabaseFactory = (label: string) => Promise<FreshDatabase>;

export const FRESH_DATABASES: { pglite: FreshDatabaseFactory; pg?: FreshDatabaseFactory; 'data-api': FreshDatabaseFactory } = {
  pglite: async () => {
    const database = await createDatabase({ driver: 'pglite', dataDir: null });
    return { database, teardown: () => database.close() };
  },
  ...(TEST_DATABASE_URL && {
    pg: async (label: string) => {
      const scratch = await createScratchDatabase(`${label}_pg`);
      const database = await createDatabase({
        driver: 'pg',
        connectionString: scratch.url,
        poolMax: 4,
        allowExitOnIdle: true,
        idleTimeoutMillis: 1_000,
      });
      return { database, url: scratch.url, teardown: async () => (await database.close(), await scratch.drop()) };
    },
  }),
  'data-api': async (label: string) => {
    const scratch = TEST_DATABASE_URL ? await createScratchDatabase(`${label}_dataapi`) : undefined;
    const pglite = scratch ? undefined : await PGlite.create();
    const server = await startDataApiServer(scratch ? pgBackend(scratch.url) : pgliteBackend(pglite!));
    const database = await createDatabase({
      driver: 'data-api',
      resourceArn: server.resourceArn,
      secretArn: server.secretArn,
      database: server.database,
      endpoint: server.endpoint,
    });
    return {
      database,
      async teardown() {
        await database.close();
        await server.close();
        await pglite?.close();
        await scratch?.drop();
      },
    };
  },
};
