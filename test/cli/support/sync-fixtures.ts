/**
 * Fixtures for the sync tests and benchmark: pipeline files written to a temp directory, and a
 * fresh store the CLI subprocess can open (an embedded file store, or a scratch Postgres database
 * migrated by `pipestore db migrate`), with one project in it.
 */
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { count, eq } from 'drizzle-orm';
import { createDatabase, type Database } from '../../../db/client';
import { migrateDatabase } from '../../../db/migrate';
import { pipelineVersions } from '../../../db/schema';
import { createProject } from '../../../functions/core/projects';
import { listSyncState } from '../../../functions/core/sync';
import { createScratchDatabase } from '../../support/scratch-database';
import { runCli } from './run-cli';

export interface PipelineFileOptions {
  task?: string;
  description?: string;
  /** Extra source lines before the definition (an import of a helper, say). */
  prelude?: string;
  /** A JS expression for `stages`, instead of the default two stages. */
  stages?: string;
}

/** The source text of a pipeline file, the way a user would write one. */
export function pipelineSource(name: string, options: PipelineFileOptions = {}): string {
  const stages =
    options.stages ??
    JSON.stringify([
      { id: 'fetch', tasks: [{ id: 'download', task: 'http.get' }] },
      { id: 'build', dependsOn: ['fetch'], tasks: [{ id: 'compile', task: options.task ?? 'compile' }] },
    ]);
  return [
    "import { definePipeline } from 'pipestore';",
    options.prelude ?? '',
    'export default definePipeline({',
    `  name: ${JSON.stringify(name)},`,
    options.description === undefined ? '' : `  description: ${JSON.stringify(options.description)},`,
    "  schedule: '0 3 * * *',",
    "  labels: { team: 'data' },",
    `  stages: ${stages},`,
    '});',
    '',
  ].join('\n');
}

export function tempDir(label: string): string {
  return mkdtempSync(join(tmpdir(), `pipestore-${label}-`));
}

export function writeFile(root: string, file: string, text: string): void {
  mkdirSync(dirname(join(root, file)), { recursive: true });
  writeFileSync(join(root, file), text);
}

export interface SyncTarget {
  driver: 'pglite' | 'pg';
  /** DATABASE_URL for the CLI subprocess. */
  url: string;
  projectId: string;
  /** Pipelines of the project (name, metadata, active version) and its number of versions. */
  inspect(): Promise<{ pipelines: Awaited<ReturnType<typeof listSyncState>>; versions: number }>;
  dispose(): Promise<void>;
}

/**
 * A fresh store with one project. The embedded store is a directory only one process may open,
 * so the test side opens it briefly and closes it again before the CLI runs.
 */
export async function freshSyncTarget(serverUrl: string | undefined): Promise<SyncTarget> {
  const inspectWith = async (database: Database, projectId: string) => {
    const pipelines = await listSyncState({ db: database.db, input: { projectId } });
    const [row] = await database.db.select({ n: count() }).from(pipelineVersions).where(eq(pipelineVersions.projectId, projectId));
    return { pipelines, versions: Number(row?.n ?? 0) };
  };

  if (!serverUrl) {
    const dir = tempDir('sync-store');
    const dataDir = join(dir, 'data');
    const open = () => createDatabase({ driver: 'pglite', dataDir });
    const database = await open();
    await migrateDatabase(database);
    const project = await createProject({ db: database.db, input: { name: 'sync' } });
    await database.close();
    return {
      driver: 'pglite',
      url: `pglite:${dataDir}`,
      projectId: project.id,
      async inspect() {
        const db = await open();
        try {
          return await inspectWith(db, project.id);
        } finally {
          await db.close();
        }
      },
      async dispose() {
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }

  const scratch = await createScratchDatabase(serverUrl, 'sync');
  const migrated = await runCli(['db', 'migrate'], { DATABASE_URL: scratch.url });
  if (migrated.code !== 0) throw new Error(`db migrate failed: ${migrated.stderr}`);
  const database = await createDatabase({ driver: 'pg', connectionString: scratch.url, poolMax: 2, allowExitOnIdle: true, idleTimeoutMillis: 1_000 });
  const project = await createProject({ db: database.db, input: { name: 'sync' } });
  return {
    driver: 'pg',
    url: scratch.url,
    projectId: project.id,
    inspect: () => inspectWith(database, project.id),
    async dispose() {
      await database.close();
      await scratch.drop();
    },
  };
}
