/**
 * A fresh, migrated database per driver for the cleanup tests: cleanup is not scoped to a project,
 * so it must never run on the worker's shared test database.
 */
import { PGlite } from '@electric-sql/pglite';
import { createDatabase, type Database } from '../../../db/client';
import { migrateDatabase } from '../../../db/migrate';
import { pgBackend, pgliteBackend, startDataApiServer } from '../../support/data-api/server';
import { TEST_DATABASE_URL, createScratchDatabase } from '../../support/database';

export interface DriverUnderTest {
  database: Database;
  /** The scratch database's URL when the driver is node-postgres. */
  url?: string;
  teardown(): Promise<void>;
}

/**
 * PGlite runs in the PGlite pass of the suite only: CI runs both passes, and the Postgres pass has
 * its own two drivers to cover.
 */
export const CLEANUP_DRIVERS: Record<string, (label: string) => Promise<DriverUnderTest>> = {
  ...(!TEST_DATABASE_URL && {
    pglite: async () => {
      const database = await createDatabase({ driver: 'pglite', dataDir: null });
      await migrateDatabase(database);
      return { database, teardown: () => database.close() };
    },
  }),
  ...(TEST_DATABASE_URL && {
    pg: async (label: string) => {
      const scratch = await createScratchDatabase(`${label}_pg`);
      const database = await createDatabase({ driver: 'pg', connectionString: scratch.url, poolMax: 2, allowExitOnIdle: true, idleTimeoutMillis: 1_000 });
      await migrateDatabase(database);
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
    await migrateDatabase(database);
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
