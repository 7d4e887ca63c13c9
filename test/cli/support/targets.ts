/**
 * Where the CLI tests run the CLI: a fresh embedded store, and (with TEST_DATABASE_URL) a scratch
 * PostgreSQL database. Each target opens its store in-process between CLI runs, never while one
 * runs (PGlite is single-process).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDatabase, type Database } from '../../../db/client';
import { loadConfig } from '../../../functions/config';
import { TEST_DATABASE_URL, createScratchDatabase } from '../../support/database';
import { cliInProcess } from './cli-in-process';

export interface CliTarget {
  url: string;
  drop(): Promise<void>;
  /** The CLI's main() in this process, against this target. */
  cli(...args: string[]): ReturnType<typeof cliInProcess>;
  withDb<T>(fn: (database: Database) => Promise<T>): Promise<T>;
}

const target = ({ url, drop }: { url: string; drop(): Promise<void> }): CliTarget => ({
  url,
  drop,
  cli: (...args) => cliInProcess(args, { DATABASE_URL: url }),
  async withDb(fn) {
    const database = await createDatabase(loadConfig({ DATABASE_URL: url }, 'cli').database);
    try {
      return await fn(database);
    } finally {
      await database.close();
    }
  },
});

/** `describe.each` rows: the target's name and how to make it (`label` names its scratch database). */
export function cliTargets(label: string): [string, () => Promise<CliTarget>][] {
  const embedded = async () => {
    const dir = mkdtempSync(join(tmpdir(), `pipestore-${label.replace(/_/g, '-')}-`));
    return target({ url: `pglite:${join(dir, 'db')}`, drop: async () => rmSync(dir, { recursive: true, force: true }) });
  };
  const postgres = async () => target(await createScratchDatabase(label));
  return [['embedded', embedded], ...(TEST_DATABASE_URL ? [['postgres', postgres] as [string, () => Promise<CliTarget>]] : [])];
}
