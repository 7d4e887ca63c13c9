import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import type { Database } from './client';

/** Resolved next to this module; bundles that move it pass the shipped folder explicitly. */
export const DEFAULT_MIGRATIONS_FOLDER = fileURLToPath(new URL('./migrations', import.meta.url));

// Arbitrary but fixed: every pipestore migrator contends for the same advisory lock.
const MIGRATION_LOCK_ID = 7_311_946_002;

/**
 * Applies pending migrations; running it again is a no-op (Drizzle records applied migrations in
 * drizzle.__drizzle_migrations and applies the rest in one transaction). On node-postgres two
 * concurrent migrators serialize on an advisory lock held on one dedicated connection.
 */
export async function migrateDatabase(
  database: Database,
  migrationsFolder: string = DEFAULT_MIGRATIONS_FOLDER,
): Promise<void> {
  const config = { migrationsFolder };
  switch (database.driver) {
    case 'pglite': {
      const { migrate } = await import('drizzle-orm/pglite/migrator');
      await migrate(database.db as never, config);
      return;
    }
    case 'data-api': {
      const { migrate } = await import('drizzle-orm/aws-data-api/pg/migrator');
      await migrate(database.db as never, config);
      return;
    }
    case 'pg': {
      const { migrate } = await import('drizzle-orm/node-postgres/migrator');
      await database.withSession(async (db) => {
        await db.execute(sql`select pg_advisory_lock(${MIGRATION_LOCK_ID})`);
        try {
          await migrate(db as never, config);
        } finally {
          await db.execute(sql`select pg_advisory_unlock(${MIGRATION_LOCK_ID})`);
        }
      });
      return;
    }
  }
}
