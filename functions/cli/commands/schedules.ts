import type { Command } from 'commander';
import { CliError, EXIT } from '../exit-codes';
import { globalOptions } from '../options';

/** The implementations, loaded when a command runs (`--help` never pays for them). */
const actions = () => import('../actions/schedules');

/** RFC 3339 with an explicit offset (or Z): the clock of a tick must not depend on the shell's zone. */
function instant(value: string): Date {
  const date = new Date(value);
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/i.test(value) || Number.isNaN(date.getTime())) {
    throw new CliError(`--now: expected an RFC 3339 time with a zone, such as 2030-01-01T09:00:00Z, got ${JSON.stringify(value)}`, EXIT.usage);
  }
  return date;
}

export function registerScheduleCommands(program: Command): void {
  const schedules = program.command('schedules').description('pipeline schedules: fire the due slots, list them');

  schedules
    .command('tick')
    .description('fire every due schedule slot once (what the scheduler function does every minute)')
    .option('--now <time>', "the tick's clock, RFC 3339 (default: now)", instant)
    .option('--project <id>', "only this project's schedules")
    .option('--dry-run', 'report what would fire; create nothing')
    .action(async (flags: { now?: Date; project?: string; dryRun?: boolean }, command: Command) => (await actions()).tick(flags, globalOptions(command)));

  schedules
    .command('list')
    .description('the scheduled pipelines of a project: expression, time zone, enabled, next fire, last run')
    .requiredOption('--project <id>', 'the project')
    .action(async (flags: { project: string }, command: Command) => (await actions()).list(flags, globalOptions(command)));
}
