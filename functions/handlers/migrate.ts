/**
 * Lambda entry of the migrator, invoked once per deploy by infra/migrator.ts (and by hand if need
 * be). It applies the migrations shipped next to the bundle and answers a JSON summary; when the
 * database is up to date it changes nothing. A failure throws, which fails the invocation and so
 * the deploy, before the new API code serves requests against an old schema.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { createDatabase, type Db } from '../../db/client';
import { migrateDatabase } from '../../db/migrate';
import { log } from '../log';
import { findMigrationsFolder, JOURNAL, loadLambdaConfig, retryWhileUnavailable, type LambdaContextLike } from './config';

interface JournalEntry {
  tag: string;
  when: number;
}

/** Creation times of the applied migrations (Drizzle's bookkeeping), none before the first run. */
async function appliedMigrations(db: Db): Promise<number[]> {
  const [table] = await db
    .select({ name: sql<string>`table_name` })
    .from(sql`information_schema.tables`)
    .where(sql`table_schema = 'drizzle' and table_name = '__drizzle_migrations'`);
  if (!table) return [];
  const rows = await db.select({ createdAt: sql<string>`created_at::text` }).from(sql`drizzle.__drizzle_migrations`);
  return rows.map((r) => Number(r.createdAt));
}

export interface MigrateSummary {
  status: 'applied' | 'up-to-date';
  /** Tags applied by this invocation, oldest first. */
  applied: string[];
  total: number;
  driver: string;
  durationMs: number;
}

const config = loadLambdaConfig();
const database = await createDatabase(config.database);

export async function handler(_event: unknown, context?: LambdaContextLike): Promise<MigrateSummary> {
  const started = performance.now();
  const folder = findMigrationsFolder(process.env, import.meta.url);
  const journal: JournalEntry[] = JSON.parse(readFileSync(join(folder, JOURNAL), 'utf8')).entries;
  // Leave a few seconds to report a failure instead of being cut off by the Lambda timeout.
  const deadline = Date.now() + (context ? context.getRemainingTimeInMillis() - 5_000 : 60_000);
  const before = new Set(await retryWhileUnavailable(() => appliedMigrations(database.db), { deadline }));
  await migrateDatabase(database, folder);
  const after = new Set(await appliedMigrations(database.db));
  const applied = journal.filter((e) => after.has(e.when) && !before.has(e.when)).map((e) => e.tag);
  const summary: MigrateSummary = {
    status: applied.length ? 'applied' : 'up-to-date',
    applied,
    total: after.size,
    driver: database.driver,
    durationMs: Math.round(performance.now() - started),
  };
  log.info('migrations', { ...summary, folder });
  return summary;
}
