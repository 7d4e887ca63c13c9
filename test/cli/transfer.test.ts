/**
 * `pipestore export` / `pipestore import` run as subprocesses against a fresh embedded store and,
 * with TEST_DATABASE_URL, against real Postgres: export -> import into an empty database ->
 * export gives a byte-identical tree; an import with corrupt files writes nothing and names them;
 * --skip-invalid imports the rest; --dry-run writes nothing; a name conflict is refused.
 */
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { count, eq } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database, type Db } from '../../db/client';
import { dlq, pipelineRuns, pipelines, pipelineVersions, projects, taskRuns } from '../../db/schema';
import { contentHash } from '../../functions/core/hashing';
import { listDlq, replayDlqEntry } from '../../functions/core/dlq';
import { activateVersion, createPipeline } from '../../functions/core/pipelines';
import { cancelRun, createRun, updateRun } from '../../functions/core/runs';
import { startTaskRun, updateTaskRun } from '../../functions/core/task-runs';
import { registerVersion } from '../../functions/core/versions';
import { TEST_DATABASE_URL } from '../support/database';
import { pgBackend, pgliteBackend, startDataApiServer } from '../support/data-api/server';
import { createScratchDatabase } from '../support/scratch-database';
import { cliInProcess } from './support/cli-in-process';
import { jsonOf, type CliResult } from './support/run-cli';

const PROJECT = 'proj_transfer_test';

async function withDb<T>(url: string, fn: (database: Database) => Promise<T>): Promise<T> {
  const database = url.startsWith('pglite:')
    ? await createDatabase({ driver: 'pglite', dataDir: url.slice('pglite:'.length) })
    : await createDatabase({ driver: 'pg', connectionString: url, poolMax: 1, allowExitOnIdle: true, idleTimeoutMillis: 1_000 });
  try {
    return await fn(database);
  } finally {
    await database.close();
  }
}

/** Rows of the project in every table import writes. */
const rowCounts = (url: string) =>
  withDb(url, async ({ db }) => {
    const n = async (table: typeof pipelines | typeof pipelineVersions | typeof pipelineRuns | typeof taskRuns | typeof dlq) =>
      (await db.select({ n: count() }).from(table).where(eq(table.projectId, PROJECT)))[0]!.n;
    return { pipelines: await n(pipelines), versions: await n(pipelineVersions), runs: await n(pipelineRuns), taskRuns: await n(taskRuns), dlq: await n(dlq) };
  });

/** Every file of a tree, by relative path. */
async function readTree(dir: string, prefix = ''): Promise<Record<string, string>> {
  const files: Record<string, string> = {};
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) Object.assign(files, await readTree(dir, rel));
    else files[rel] = await readFile(join(dir, rel), 'utf8');
  }
  return files;
}

const targets = [
  { name: 'embedded store (PGlite)', enabled: true, kind: 'pglite' as const },
  { name: 'PostgreSQL', enabled: Boolean(TEST_DATABASE_URL), kind: 'pg' as const },
];

// The CLI runs in this process (test/cli/support/cli-in-process.ts): no Node start-up per command.
// Import and export of the seeded project take seconds idle; sized for a loaded machine.
describe.each(targets)('export and import on $name', { timeout: 180_000 }, ({ enabled, kind }) => {
  let work: string;
  let store: Store;
  let source: string;
  let seeded: Seeded;
  let exported: string;
  const cli = (url: string, ...args: string[]) => cliInProcess([...args, '--database-url', url, '--project', PROJECT]);

  beforeAll(async () => {
    if (!enabled) return;
    work = await mkdtemp(join(tmpdir(), 'pipestore-transfer-'));
    // One migrated database with an empty project, cloned for each role (cheaper than migrating each).
    store = await templateStore(kind, work, (url) => cliInProcess(['db', 'migrate', '--database-url', url]));
    source = await store.clone('source');
    seeded = await withDb(source, ({ db }) => seedProject(db, PROJECT));
    exported = join(work, 'exported');
    const result = await cli(source, 'export', exported, '--json');
    expect(result.code, result.stderr).toBe(0);
    expect(jsonOf(result).counts).toEqual(seeded.counts);
  }, 300_000);

  afterAll(async () => {
    if (!enabled) return;
    await store?.drop();
    await rm(work, { recursive: true, force: true });
  });

  it.runIf(enabled)('writes the documented layout, deterministically', async () => {
    const tree = await readTree(exported);
    expect(Object.keys(tree).sort()).toEqual(
      [
        'aliases.json',
        'export.json',
        ...seeded.imageHashes.map((h) => `images/${h}.json`),
        'runs/alpha.jsonl',
        'runs/beta.jsonl',
        'versions/alpha.json',
        'versions/beta.json',
        'versions/gamma.json',
      ].sort(),
    );
    expect(JSON.parse(tree['aliases.json']!)).toEqual(seeded.aliases);
    const alpha = JSON.parse(tree['versions/alpha.json']!);
    expect(alpha).toMatchObject({ name: 'alpha', activeVersion: 2, labels: { '10': 'ten', '2': 'two', team: 'core' } });
    expect(alpha.versions.map((v: { number: number }) => v.number)).toEqual([1, 2]);
    // Keys sorted as strings ("10" before "2"), not in JavaScript's integer-first order.
    expect(tree['versions/alpha.json']!.indexOf('"10"')).toBeLessThan(tree['versions/alpha.json']!.indexOf('"2"'));
    const runs = tree['runs/alpha.jsonl']!.trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(runs.map((r) => r.id)).toEqual([...runs.map((r) => r.id)].sort());
    expect(runs.flatMap((r) => r.dlq)).toHaveLength(1);
  });

  it.runIf(enabled)('dry run validates and writes nothing', async () => {
    const target = await store.clone('dry');
    const result = await cli(target, 'import', exported, '--dry-run', '--json');
    expect(result.code, result.stderr).toBe(0);
    expect(jsonOf(result)).toMatchObject({ dryRun: true, written: false, counts: seeded.counts, problems: [] });
    expect(await rowCounts(target)).toEqual({ pipelines: 0, versions: 0, runs: 0, taskRuns: 0, dlq: 0 });
  });

  it.runIf(enabled)('export -> import into an empty database -> export is byte-identical; a second import conflicts', async () => {
    const target = await store.clone('full');
    const imported = await cli(target, 'import', exported);
    expect(imported.code, imported.stderr).toBe(0);
    expect(imported.stdout).toMatch(/imported 3 pipeline\(s\), 4 version\(s\) \(3 image\(s\)\), 4 run\(s\)/);
    const again = join(work, 'again');
    expect((await cli(target, 'export', again)).code).toBe(0);
    expect(await readTree(again)).toEqual(await readTree(exported));

    const conflict = await cli(target, 'import', exported);
    expect(conflict.code).toBe(5);
    expect(conflict.stderr).toContain('versions/alpha.json: a pipeline named "alpha" already exists');
    expect(await rowCounts(target)).toEqual(seeded.rows);
  });

  it.runIf(enabled)('an import with corrupt files writes nothing and names each file; --skip-invalid imports the rest', async () => {
    const corrupt = join(work, 'corrupt');
    await cp(exported, corrupt, { recursive: true });
    await writeFile(join(corrupt, 'versions/beta.json'), '{ "id": "pl_trunc');
    const gammaImage = `images/${seeded.aliases.gamma}.json`;
    const image = await readFile(join(corrupt, gammaImage), 'utf8');
    await writeFile(join(corrupt, gammaImage), image.replace('"deploy"', '"deploy-edited"'));
    const lines = (await readFile(join(corrupt, 'runs/alpha.jsonl'), 'utf8')).split('\n');
    lines[1] = lines[1]!.replace(/"status":"[a-z_]+"/, '"status":"bogus"');
    await writeFile(join(corrupt, 'runs/alpha.jsonl'), lines.join('\n'));

    const target = await store.clone('corrupt');
    const refused = await cli(target, 'import', corrupt);
    expect(refused.code).toBe(5);
    expect(refused.stderr).toContain('nothing written');
    expect(refused.stderr).toContain('versions/beta.json: not valid JSON');
    expect(refused.stderr).toContain(`${gammaImage}: content hash mismatch`);
    expect(refused.stderr).toContain('versions/gamma.json: version 1 uses');
    expect(refused.stderr).toContain('runs/alpha.jsonl:2: status:');
    expect(await rowCounts(target)).toEqual({ pipelines: 0, versions: 0, runs: 0, taskRuns: 0, dlq: 0 });

    const partial = await cli(target, 'import', corrupt, '--skip-invalid', '--json');
    expect(partial.code, partial.stderr).toBe(0);
    const report = jsonOf(partial);
    expect(report.skipped).toEqual({ pipelines: ['beta', 'gamma'], runs: 1 + seeded.runsOf.beta });
    const alphaRuns = seeded.runsOf.alpha - 1;
    expect(report.counts).toMatchObject({ pipelines: 1, versions: 2, runs: alphaRuns });
    expect(await rowCounts(target)).toMatchObject({ pipelines: 1, versions: 2, runs: alphaRuns });
  });

  it.runIf(enabled)('round-trips through the RDS Data API driver too (local endpoint)', async () => {
    const url = await store.clone('data_api');
    const { PGlite } = await import('@electric-sql/pglite');
    const pglite = kind === 'pglite' ? await PGlite.create(url.slice('pglite:'.length)) : undefined;
    const server = await startDataApiServer(pglite ? pgliteBackend(pglite) : pgBackend(url, 2));
    try {
      const env = { DB_CLUSTER_ARN: server.resourceArn, DB_SECRET_ARN: server.secretArn, DB_NAME: server.database, AWS_ENDPOINT_URL_RDS_DATA: server.endpoint };
      const viaDataApi = (...args: string[]) => cliInProcess([...args, '--project', PROJECT], env);
      const imported = await viaDataApi('import', exported);
      expect(imported.code, imported.stderr).toBe(0);
      const again = join(work, 'again-data-api');
      const result = await viaDataApi('export', again);
      expect(result.code, result.stderr).toBe(0);
      expect(await readTree(again)).toEqual(await readTree(exported));
    } finally {
      await server.close();
      await pglite?.close();
    }
  });

  it.runIf(enabled && kind === 'pglite')('refuses a missing project (exit 2) and a non-empty export directory (exit 2)', async () => {
    const missing = await cliInProcess(['import', exported, '--database-url', source, '--project', 'proj_nope']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('project proj_nope does not exist');
    const occupied = await cli(source, 'export', exported);
    expect(occupied.code).toBe(2);
    expect(occupied.stderr).toContain('is not empty');
  });
});

const DEF_1 = {
  stages: [
    { id: 'build', name: 'Build', tasks: [{ id: 'compile', task: 'compile', config: { level: 2, flags: ['-O2'] } }] },
    { id: 'test', dependsOn: ['build'], tasks: [{ id: 'unit', task: 'unit-test' }] },
  ],
};
const DEF_2 = { stages: [...DEF_1.stages, { id: 'package', dependsOn: ['test'], tasks: [{ id: 'zip', task: 'zip' }] }] };
const DEF_3 = { stages: [{ id: 'deploy', tasks: [{ id: 'ship', task: 'ship' }] }] };

type Seeded = Awaited<ReturnType<typeof seedProject>>;

/**
 * Through the core functions, so rows look like the API's: alpha has two versions (v2 active) and
 * three runs, one with a dead-lettered and replayed task; beta shares alpha's first definition
 * (one image for both) and has a cancelled run; gamma has no runs.
 */
async function seedProject(db: Db, projectId: string) {
  const alpha = (
    await createPipeline({
      db,
      input: {
        projectId,
        name: 'alpha',
        description: 'Älpha — ✓',
        schedule: '0 3 * * *',
        labels: { team: 'core', '2': 'two', '10': 'ten' },
        definition: DEF_1,
        sourceHash: 'src-1',
      },
    })
  ).pipeline;
  await registerVersion({ db, input: { projectId, pipelineId: alpha.id, definition: DEF_2 } });
  await activateVersion({ db, input: { projectId, id: alpha.id, version: 2 } });
  const beta = (await createPipeline({ db, input: { projectId, name: 'beta', definition: DEF_1 } })).pipeline;
  await createPipeline({ db, input: { projectId, name: 'gamma', labels: { env: 'prod' }, definition: DEF_3 } });

  const r1 = await createRun({ db, input: { projectId, pipelineId: alpha.id, version: 1, input: { n: 0.1, big: 1e21, nested: { b: [1, 2], a: null } } } });
  await updateRun({ db, input: { projectId, runId: r1.id, patch: { status: 'running', currentStage: 'build' } } });
  const compile = await startTaskRun({ db, input: { projectId, runId: r1.id, stageId: 'build', taskId: 'compile', status: 'running' } });
  await updateTaskRun({ db, input: { projectId, taskRunId: compile.id, patch: { progress: 0.37, messages: ['half way'] } } });
  await updateTaskRun({ db, input: { projectId, taskRunId: compile.id, patch: { status: 'succeeded', output: { artifact: 'a.tgz' } } } });
  const unit = await startTaskRun({ db, input: { projectId, runId: r1.id, stageId: 'test', taskId: 'unit', attempt: 3, status: 'running' } });
  await updateTaskRun({ db, input: { projectId, taskRunId: unit.id, patch: { status: 'failed', error: { message: 'boom' } } } });
  const [entry] = (await listDlq({ db, input: { projectId } })).items;
  await replayDlqEntry({ db, input: { projectId, id: entry!.id } });
  await updateRun({ db, input: { projectId, runId: r1.id, patch: { status: 'failed', error: { stage: 'test' }, stageResults: { build: { ok: true } } } } });
  const r2 = await createRun({ db, input: { projectId, pipelineId: alpha.id } });
  await updateRun({ db, input: { projectId, runId: r2.id, patch: { status: 'running', stageResults: { build: { ms: 12 } } } } });
  await updateRun({ db, input: { projectId, runId: r2.id, patch: { status: 'succeeded', output: { url: 'https://example.test/ü' } } } });
  await createRun({ db, input: { projectId, pipelineId: alpha.id, input: 'just a string' } });
  const r4 = await createRun({ db, input: { projectId, pipelineId: beta.id } });
  await cancelRun({ db, input: { projectId, runId: r4.id, reason: { by: 'test' } } });

  const hashes = [DEF_1, DEF_2, DEF_3].map(contentHash);
  return {
    counts: { pipelines: 3, versions: 4, images: 3, runs: 4, taskRuns: 3, dlq: 1 },
    rows: { pipelines: 3, versions: 4, runs: 4, taskRuns: 3, dlq: 1 },
    runsOf: { alpha: 3, beta: 1 },
    imageHashes: hashes,
    aliases: { alpha: hashes[1]!, beta: hashes[0]!, gamma: hashes[2]! },
  };
}

interface Store {
  /** A copy of the template: migrated, with the empty project. */
  clone(label: string): Promise<string>;
  drop(): Promise<void>;
}

/**
 * Migrated once (through `pipestore db migrate`), then copied per role: a directory copy for
 * PGlite, `create database … template …` on Postgres. Much cheaper than migrating every database.
 */
async function templateStore(kind: 'pglite' | 'pg', work: string, migrate: (url: string) => Promise<CliResult>): Promise<Store> {
  const scratch = kind === 'pg' ? await createScratchDatabase(TEST_DATABASE_URL!, 'transfer') : undefined;
  const template = scratch?.url ?? `pglite:${join(work, 'template')}`;
  const migrated = await migrate(template);
  expect(migrated.code, migrated.stderr).toBe(0);
  await withDb(template, ({ db }) => db.insert(projects).values({ id: PROJECT, name: 'transfer' }));
  if (!scratch) {
    return {
      async clone(label) {
        await cp(join(work, 'template'), join(work, label), { recursive: true });
        return `pglite:${join(work, label)}`;
      },
      drop: async () => {},
    };
  }
  const templateName = new URL(scratch.url).pathname.slice(1);
  const clones: string[] = [];
  const admin = async (statement: string) => {
    const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
    await client.connect();
    await client.query(statement).finally(() => client.end());
  };
  return {
    async clone(label) {
      const name = `${templateName}_${label}`;
      await admin(`create database "${name}" template "${templateName}"`);
      clones.push(name);
      const url = new URL(scratch.url);
      url.pathname = `/${name}`;
      return url.toString();
    },
    async drop() {
      for (const name of clones) await admin(`drop database if exists "${name}" with (force)`);
      await scratch.drop();
    },
  };
}
