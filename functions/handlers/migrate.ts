/**
 * Lambda entry of the migrator, invoked once per deploy by infra/migrator.ts (and by hand if need
 * be). It applies the migrations shipped next to the bundle and answers a JSON summary; when the
 * database is up to date it changes nothing. A failure throws, which fails the invocation and so
 * the deploy, before the new API code serves requests against an old schema.
 */
import { createDatabase } from '../../db/client';
import { migrateDatabase, migrationState } from '../../db/migrate';
import { log } from '../log';
import { type LambdaContextLike, loadLambdaConfig } from './lambda-config';
import { findMigrationsFolder } from './migrations-folder';
import { retryWhileUnavailable } from './retry';

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
  const folder = findMigrationsFolder(config.migrationsDir, import.meta.url);
  // Leave a few seconds to report a failure instead of being cut off by the Lambda timeout.
  const deadline = Date.now() + (context ? context.getRemainingTimeInMillis() - 5_000 : 60_000);
  const before = await retryWhileUnavailable(() => migrationState(database.db, folder), { deadline });
  // Idempotent (the pending migrations and their records commit in one transaction), so a cluster
  // that becomes unavailable again is waited for here too.
  await retryWhileUnavailable(() => migrateDatabase(database, folder), { deadline });
  const after = await migrationState(database.db, folder);
  const applied = after.applied.filter((tag) => !before.applied.includes(tag));
  const summary: MigrateSummary = {
    status: applied.length ? 'applied' : 'up-to-date',
    applied,
    total: after.applied.length,
    driver: database.driver,
    durationMs: Math.round(performance.now() - started),
  };
  log.info('migrations', { ...summary, folder });
  return summary;
}
