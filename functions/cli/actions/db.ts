/** The `db` commands' implementations, loaded only when one of them runs (see commands/db.ts). */
import { getTableName, isTable, sql } from 'drizzle-orm';
import { pingDatabase, type Database } from '../../../db/client';
import { migrateDatabase, migrationState } from '../../../db/migrate';
import * as schema from '../../../db/schema';
import { runCleanup } from '../../core/cleanup';
import { type GlobalOptions, describeTarget, report, withDatabase } from '../context';
import { CliError, EXIT } from '../exit-codes';

/** Our tables, from the schema itself: reset and status never touch anything else. */
const TABLES = Object.values(schema)
  .filter((value) => isTable(value))
  .map((table) => getTableName(table as Parameters<typeof getTableName>[0]))
  .sort();

const rowsOf = <T>(result: unknown): T[] => (result as { rows: T[] }).rows;

async function tableCounts(database: Database) {
  const present = new Set(
    rowsOf<{ table_name: string }>(await database.db.execute(sql`select table_name from information_schema.tables where table_schema = 'public'`)).map(
      (r) => r.table_name,
    ),
  );
  const counts: Record<string, number | null> = {};
  // One at a time: PGlite has one connection and the Data API must not run them at once anyway.
  for (const table of TABLES) {
    if (!present.has(table)) {
      counts[table] = null;
      continue;
    }
    const [row] = rowsOf<{ n: string | number }>(await database.db.execute(sql`select count(*) as n from ${sql.identifier(table)}`));
    counts[table] = Number(row?.n ?? 0);
  }
  return counts;
}

export async function migrate(options: GlobalOptions) {
  await withDatabase(options, async (database, config) => {
    const before = await migrationState(database.db);
    await migrateDatabase(database);
    const after = await migrationState(database.db);
    const applied = after.applied.filter((tag) => !before.applied.includes(tag));
    report(options, { target: describeTarget(config), applied, pending: after.pending }, () =>
      applied.length
        ? `applied ${applied.length} migration(s) to ${describeTarget(config)}: ${applied.join(', ')}`
        : `${describeTarget(config)} is up to date (${after.applied.length} migrations applied)`,
    );
  });
}

export async function status(options: GlobalOptions) {
  await withDatabase(options, async (database, config) => {
    const ping = await pingDatabase(database.db);
    if (!ping.ok) throw ping.error;
    const migrations = await migrationState(database.db);
    const tables = await tableCounts(database);
    report(options, { target: describeTarget(config), latencyMs: ping.latencyMs, migrations, tables }, () =>
      [
        `database: ${describeTarget(config)} (${ping.latencyMs} ms)`,
        `migrations: ${migrations.applied.length} applied, ${migrations.pending.length} pending${
          migrations.pending.length ? ` (${migrations.pending.join(', ')})` : ''
        }`,
        'tables:',
        ...Object.entries(tables).map(([name, n]) => `  ${name.padEnd(20)} ${n === null ? 'missing' : n}`),
      ].join('\n'),
    );
    if (migrations.pending.length) process.exitCode = EXIT.checkFailed;
  });
}

export async function check(options: GlobalOptions) {
  await withDatabase(options, async (database, config) => {
    const samples: number[] = [];
    for (let i = 0; i < 5; i++) {
      const ping = await pingDatabase(database.db);
      if (!ping.ok) throw ping.error;
      samples.push(ping.latencyMs);
    }
    const [row] = rowsOf<{ version: string }>(await database.db.execute(sql`select version() as version`));
    const latencyMs = [...samples].sort((a, b) => a - b)[2]!;
    report(
      options,
      { target: describeTarget(config), reachable: true, latencyMs, serverVersion: row?.version },
      () => `reachable: ${describeTarget(config)}\nlatency: ${latencyMs} ms (median of 5)\nserver: ${row?.version}`,
    );
  });
}

export interface CleanupFlags {
  dlqRetentionDays?: number;
  runRetentionDays?: number;
  staleRunAfter?: number;
  pendingRunTimeout?: number;
  budget: number;
  dryRun?: boolean;
}

export async function cleanup(flags: CleanupFlags, options: GlobalOptions) {
  await withDatabase(options, async (database, config) => {
    const result = await runCleanup({
      db: database.db,
      input: {
        dlqRetentionDays: flags.dlqRetentionDays ?? config.dlqRetentionDays,
        runRetentionDays: flags.runRetentionDays ?? config.runRetentionDays,
        staleRunAfterSeconds: flags.staleRunAfter ?? config.staleRunAfterSeconds,
        pendingRunTimeoutSeconds: flags.pendingRunTimeout ?? config.pendingRunTimeoutSeconds,
        budgetMs: flags.budget * 1000,
        dryRun: flags.dryRun,
      },
      logFields: { source: 'cli' },
    });
    report(options, result, () =>
      [
        `${result.dryRun ? 'would clean' : 'cleaned'} ${describeTarget(config)} in ${Math.round(result.durationMs)} ms:`,
        ...Object.entries(result.steps).map(([step, n]) => `  ${step.padEnd(24)} ${n}${result.skipped.includes(step as never) ? ' (off)' : ''}`),
        result.complete ? 'complete' : `not complete (${result.unfinished.join(', ')}): run it again`,
      ].join('\n'),
    );
    if (!result.complete) process.exitCode = EXIT.checkFailed;
  });
}

export async function reset(flags: { yes?: boolean }, options: GlobalOptions) {
  if (!flags.yes) {
    throw new CliError('db reset deletes every pipestore table and row; run it again with --yes to confirm', EXIT.usage);
  }
  await withDatabase(options, async (database, config) => {
    for (const table of TABLES) await database.db.execute(sql`drop table if exists ${sql.identifier(table)} cascade`);
    await database.db.execute(sql`drop table if exists drizzle.__drizzle_migrations`);
    await migrateDatabase(database);
    report(
      options,
      { target: describeTarget(config), dropped: TABLES, reset: true },
      () => `reset ${describeTarget(config)}: dropped ${TABLES.length} tables and re-applied the migrations`,
    );
  });
}
