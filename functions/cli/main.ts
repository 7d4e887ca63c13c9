import { Command, CommanderError } from 'commander';
import { registerDbCommands } from './commands/db';
import { registerScheduleCommands } from './commands/schedules';
import { registerSyncCommand } from './commands/sync';
import { registerTenantCommands } from './commands/tenants';
import { registerTransferCommands } from './commands/transfer';
import { CliError, EXIT } from './exit-codes';
import { logLevelSetting } from '../config';
import { setLogLevel } from '../log';

export function buildProgram(): Command {
  const program = new Command('pipestore')
    .description('Operate a pipestore database: migrations, status, cleanup, projects and API keys, sync of code-defined pipelines, import/export, schedules.')
    .option('--json', 'machine-readable output on stdout')
    .option('--database-url <url>', 'database to use (overrides DATABASE_URL; same forms as the server)')
    .showHelpAfterError()
    .exitOverride()
    .addHelpText(
      'after',
      `
Configuration: the same environment variables as the server (DATABASE_URL, DB_*, the Data API triple).
Exit codes: 0 ok, 1 check failed, 2 bad usage, 3 bad configuration, 4 database unreachable, 5 invalid input files.`,
    );
  // One registrar per command family: a new family is one module and one line here.
  for (const register of [registerDbCommands, registerTenantCommands, registerSyncCommand, registerTransferCommands, registerScheduleCommands])
    register(program);
  return program;
}

/** Runs the CLI and returns its exit code (the bin shim sets process.exitCode). */
export async function main(argv: string[]): Promise<number> {
  // The commands report on stdout (one JSON document with --json); only warnings are logged.
  setLogLevel(logLevelSetting('warn'));
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version land here too, with exit code 0.
      return err.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (err instanceof CliError) {
      const json = program.opts<{ json?: boolean }>().json;
      if (json) process.stdout.write(`${JSON.stringify({ error: err.message, details: err.details }, null, 2)}\n`);
      else process.stderr.write(`pipestore: ${err.message}\n`);
      return err.exitCode;
    }
    process.stderr.write(`pipestore: unexpected error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    return EXIT.checkFailed;
  }
}
