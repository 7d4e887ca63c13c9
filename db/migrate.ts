import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sql } from 'drizzle-orm';
import type { Database, Db } from './client';

/** Resolved next to this module; bundles that move it pass the shipped folder explicitly. */
export const DEFAULT_MIGRATIONS_FOLDER = fileURLToPath(new URL('./migrations', import.meta.url));

/** Drizzle's list of a folder's migrations, relative to the folder. */
export const MIGRATIONS_JOURNAL = join('meta', '_journal.json');

export interface JournalEntry {
  tag: string;
  /** When it was generated: what Drizzle records as the migration's `created_at` once applied. */
  when: number;
}

export const readJournal = (folder: string = DEFAULT_MIGRATIONS_FOLDER): JournalEntry[] =>
  JSON.parse(readFileSync(join(folder, MIGRATIONS_JOURNAL), 'utf8')).entries;

/**
 * Applied vs pending, as Drizzle's migrator decides it: every migration up to the latest one it
 * recorded in drizzle.__drizzle_migrations is applied (none before the first run), the rest pend.
 */
export async function migrationState(db: Db, folder: string = DEFAULT_MIGRATIONS_FOLDER): Promise<{ applied: string[]; pending: string[] }> {
  const journal = readJournal(folder);
  const [table] = await db
    .select({ name: sql<string>`table_name` })
    .from(sql`information_schema.tables`)
    .where(sql`table_schema = 'drizzle' and table_name = '__drizzle_migrations'`);
  const recorded = table ? await db.select({ createdAt: sql<string>`created_at::text` }).from(sql`drizzle.__drizzle_migrations`) : [];
  const latest = Math.max(-1, ...recorded.map((r) => Number(r.createdAt)));
  return {
    applied: journal.filter((m) => m.when <= latest).map((m) => m.tag),
    pending: journal.filter((m) => m.when > latest).map((m) => m.tag),
  };
}

// Arbitrary but fixed: every pipestore migrator contends for the same advisory lock.
const MIGRATION_LOCK_ID = 7_311_946_002;

/**
 * Applies pending migrations; running it again is a no-op (Drizzle records applied migrations in
 * drizzle.__drizzle_migrations and applies the rest in one transaction). On node-postgres two
 * concurrent migrators serialize on an advisory lock held on one dedicated connection.
 */
export async function migrateDatabase(database: Database, migrationsFolder: string = DEFAULT_MIGRATIONS_FOLDER): Promise<void> {
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
