/**
 * Once per `npm test` on real Postgres: a scratch database on the TEST_DATABASE_URL server,
 * migrated once, dropped at the end. Runs never see each other's leftovers or an older schema.
 */
import type { TestProject } from 'vitest/node';
import { createDatabase } from '../../db/client';
import { migrateDatabase } from '../../db/migrate';
import { createScratchDatabase } from './scratch-database';

declare module 'vitest' {
  export interface ProvidedContext {
    testDatabaseUrl: string | null;
  }
}

export default async function setup(project: TestProject) {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    project.provide('testDatabaseUrl', null);
    return;
  }
  const scratch = await createScratchDatabase(serverUrl, 'run');
  const database = await createDatabase({
    driver: 'pg',
    connectionString: scratch.url,
    poolMax: 1,
    allowExitOnIdle: true,
    idleTimeoutMillis: 1_000,
  });
  await migrateDatabase(database);
  await database.close();
  project.provide('testDatabaseUrl', scratch.url);
  return () => scratch.drop();
}
