/**
 * What the command implementations (functions/cli/actions/) share: configuration, the database
 * for one command, output. Loaded with them, never at startup.
 */
import { createDatabase, type Database } from '../../db/client';
import { type AppConfig, ConfigError, environmentWith, loadConfig } from '../config';
import { describeDatabaseUrl } from '../../db/connection-string';
import { DatabaseUnavailableError, asDatabaseError } from '../../db/errors';
import { connectionFailure } from './connection-failures';
import { CliError, EXIT } from './exit-codes';
import type { GlobalOptions } from './options';

export type { GlobalOptions } from './options';

/** Same configuration as the server (README, Configuration), with the CLI's pool of one that exits on idle. */
export function cliConfig(options: GlobalOptions): AppConfig {
  try {
    return loadConfig(environmentWith(options.databaseUrl ? { DATABASE_URL: options.databaseUrl } : {}), 'cli');
  } catch (err) {
    if (err instanceof ConfigError) throw new CliError(err.message, EXIT.config);
    throw err;
  }
}

/** Opens the configured database for one command and always closes it. */
export async function withDatabase<T>(options: GlobalOptions, run: (database: Database, config: AppConfig) => Promise<T>): Promise<T> {
  const config = cliConfig(options);
  const database = await createDatabase(config.database).catch((err: unknown) => {
    // A DATABASE_URL that is no connection string is found when the driver reads it.
    throw err instanceof ConfigError ? new CliError(err.message, EXIT.config) : err;
  });
  try {
    return await run(database, config);
  } catch (err) {
    if (err instanceof CliError) throw err;
    const cause = connectionFailure(err, describeTarget(config));
    if (cause) throw new CliError(cause, EXIT.unavailable);
    if (asDatabaseError(err) instanceof DatabaseUnavailableError) {
      throw new CliError(`database unreachable: ${describeTarget(config)}`, EXIT.unavailable);
    }
    throw err;
  } finally {
    await database.close();
  }
}

export function describeTarget(config: AppConfig): string {
  const db = config.database;
  if (db.driver === 'pglite') return db.dataDir ? `embedded (${db.dataDir})` : 'embedded (in memory)';
  if (db.driver === 'data-api') return `RDS Data API (${db.resourceArn}, database ${db.database})`;
  if (db.connectionString) {
    try {
      return `postgres ${describeDatabaseUrl(db.connectionString)}`;
    } catch {
      return 'postgres (DATABASE_URL)';
    }
  }
  return `postgres ${db.host}:${db.port}/${db.database}`;
}

/** Human text on stdout, or one JSON document with --json (never both). */
export function report(options: GlobalOptions, json: unknown, human: () => string): void {
  process.stdout.write(options.json ? `${JSON.stringify(json, null, 2)}\n` : `${human()}\n`);
}

/** Progress for long work: only on an interactive terminal, never in --json mode, on stderr. */
export function progress(options: GlobalOptions) {
  const enabled = !options.json && process.stderr.isTTY === true;
  return {
    update(message: string) {
      if (enabled) process.stderr.write(`\r\x1b[2K${message}`);
    },
    done() {
      if (enabled) process.stderr.write('\r\x1b[2K');
    },
  };
}
