/**
 * A fresh, migrated database per driver for the cleanup tests: cleanup is not scoped to a project,
 * so it must never run on the worker's shared test database.
 */
import { migrateDatabase } from '../../../db/migrate';
import { FRESH_DATABASES, type FreshDatabase, type FreshDatabaseFactory } from '../../support/fresh-databases';
import { TEST_DATABASE_URL } from '../../support/database';

export type DriverUnderTest = FreshDatabase;

const migrated =
  (fresh: FreshDatabaseFactory): FreshDatabaseFactory =>
  async (label) => {
    const subject = await fresh(label);
    await migrateDatabase(subject.database);
    return subject;
  };

/**
 * PGlite runs in the PGlite pass of the suite only: CI runs both passes, and the Postgres pass has
 * its own two drivers to cover.
 */
export const CLEANUP_DRIVERS: Record<string, FreshDatabaseFactory> = {
  ...(!TEST_DATABASE_URL && { pglite: migrated(FRESH_DATABASES.pglite) }),
  ...(FRESH_DATABASES.pg && { pg: migrated(FRESH_DATABASES.pg) }),
  'data-api': migrated(FRESH_DATABASES['data-api']),
};
