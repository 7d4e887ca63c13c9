/**
 * The database the integration tests run on: real Postgres when TEST_DATABASE_URL is set (CI sets
 * it; global-setup.ts made and migrated a scratch database there), otherwise an in-memory PGlite
 * migrated once per worker. Workers keep their process across files (vitest.config.ts), so files
 * share it. Tests isolate themselves by creating their own project, never by truncating.
 */
import { inject } from 'vitest';
import { createDatabase, type Database } from '../../db/client';
import { migrateDatabase } from '../../db/migrate';
import { createScratchDatabase as createScratchOn } from './scratch-database';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;
export const testDriver: 'pg' | 'pglite' = TEST_DATABASE_URL ? 'pg' : 'pglite';

let shared: Promise<Database> | undefined;

/** The worker's migrated database. Do not close it: it lives as long as the worker. */
export function testDatabase(): Promise<Database> {
  shared ??= (async () => {
    const url = inject('testDatabaseUrl');
    if (url) {
      return createDatabase({ driver: 'pg', connectionString: url, poolMax: 10, allowExitOnIdle: true, idleTimeoutMillis: 1_000 });
    }
    const database = await createDatabase({ driver: 'pglite', dataDir: null });
    await migrateDatabase(database);
    return database;
  })();
  return shared;
}

/** An empty database on the TEST_DATABASE_URL server (migrations from scratch, Data API backing). */
export function createScratchDatabase(label: string) {
  if (!TEST_DATABASE_URL) throw new Error('createScratchDatabase needs TEST_DATABASE_URL');
  return createScratchOn(TEST_DATABASE_URL, label);
}
