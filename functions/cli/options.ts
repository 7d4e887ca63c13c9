import type { Command } from 'commander';

/**
 * What every command declaration needs at startup, and nothing more: this module is loaded for
 * `--help` too, so it must not import the database layer (functions/cli/context.ts does).
 */
export interface GlobalOptions {
  json?: boolean;
  databaseUrl?: string;
}

/** The options shared by every command (`--json`, `--database-url`), wherever they were given. */
export const globalOptions = (command: Command): GlobalOptions => command.optsWithGlobals<GlobalOptions>();
