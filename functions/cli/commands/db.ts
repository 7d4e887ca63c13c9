import type { Command } from 'commander';
import type { CleanupFlags } from '../actions/db';
import { CliError, EXIT } from '../exit-codes';
import { globalOptions } from '../options';

/** The implementations, loaded when a command runs: `--help` and the other commands never pay for them. */
const actions = () => import('../actions/db');

function positiveInt(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new CliError(`expected a positive whole number, got ${JSON.stringify(value)}`, EXIT.usage);
  return n;
}

export function registerDbCommands(program: Command): void {
  const db = program.command('db').description('database administration');

  db.command('migrate')
    .alias('init')
    .description('apply pending migrations (safe to run again; `db init` is the same)')
    .action(async (_, command: Command) => (await actions()).migrate(globalOptions(command)));

  db.command('status')
    .description('connection, applied and pending migrations, tables with row counts')
    .action(async (_, command: Command) => (await actions()).status(globalOptions(command)));

  db.command('check')
    .description('reachability, round-trip latency and server version')
    .action(async (_, command: Command) => (await actions()).check(globalOptions(command)));

  db.command('cleanup')
    .description('the scheduled cleanup, on demand: expired idempotency keys, old DLQ entries, old terminal runs, stale and never-started runs')
    .option('--dlq-retention-days <days>', 'delete DLQ entries older than this (default: DLQ_RETENTION_DAYS)', positiveInt)
    .option('--run-retention-days <days>', 'delete terminal runs older than this (default: RUN_RETENTION_DAYS, off when unset)', positiveInt)
    .option('--stale-run-after <seconds>', 'time out running runs silent for this long (default: STALE_RUN_AFTER_S)', positiveInt)
    .option('--pending-run-timeout <seconds>', 'time out runs still pending this long after creation (default: PENDING_RUN_TIMEOUT_S)', positiveInt)
    .option('--budget <seconds>', 'stop after about this long; run again to continue', positiveInt, 600)
    .option('--dry-run', 'only count what would be done')
    .action(async (flags: CleanupFlags, command: Command) => (await actions()).cleanup(flags, globalOptions(command)));

  db.command('reset')
    .description('DESTRUCTIVE: drop every pipestore table and re-apply the migrations')
    .option('--yes', 'confirm that all data is to be deleted')
    .action(async (flags: { yes?: boolean }, command: Command) => (await actions()).reset(flags, globalOptions(command)));
}
