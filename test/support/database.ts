/**
 * The database the integration tests run on: real Postgres when TEST_DATABASE_URL is set (CI sets
 * it), otherwise an in-memory PGlite. One migrated instance per test worker (vitest runs files of a
 * worker in one process, see vitest.config.ts); tests isolate themselves by creating their own
 * project, never by truncating.
 */
import pg from 'pg';
import { createDatabase, type Database } from '../../db/client';
import { migrateDatabase } from '../../db/migrate';

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL || undefined;
export const testDriver: 'pg' | 'pglite' = TEST_DATABASE_URL ? 'pg' : 'pglite';

let shared: Promise<Database> | undefined;

/** The worker's migrated database. Do not close it: it lives as long as the worker. */
export function testDatabase(): Promise<Database> {
  shared ??= (async () => {
    const database = await createDatabase(
      TEST_DATABASE_URL
        ? { driver: 'pg', connectionString: TEST_DATABASE_URL, poolMax: 10, allowExitOnIdle: true, idleTimeoutMillis: 1_000 }
        : { driver: 'pglite', dataDir: null },
    );
    await migrateDatabase(database);
    return database;
  })();
  return shared;
}

/**
 * A brand-new empty Postgres database on the TEST_DATABASE_URL server, for tests that need an
 * empty schema (migrations from scratch). Dropped by `drop()`.
 */
export async function createScratchDatabase(label: string): Promise<{ url: string; drop(): Promise<void> }> {
  if (!TEST_DATABASE_URL) throw new Error('createScratchDatabase needs TEST_DATABASE_URL');
  const name = `pipestore_${label}_${process.pid}_${Date.now().toString(36)}`.toLowerCase();
  const admin = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await admin.connect();
  try {
    await admin.query(`create database "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      try {
        await client.query(`drop database if exists "${name}" with (force)`);
      } finally {
        await client.end();
      }
    },
  };
}
