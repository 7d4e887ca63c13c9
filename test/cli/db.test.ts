/**
 * `pipestore db …` run as a subprocess, like an operator would, on a fresh embedded store and
 * (with TEST_DATABASE_URL) on a scratch PostgreSQL database.
 */
import { count, sql } from 'drizzle-orm';
import { afterAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { readJournal } from '../../db/migrate';
import { idempotencyKeys, pipelineRuns, projects } from '../../db/schema';
import { createPipeline } from '../../functions/core/pipelines';
import { createProject } from '../../functions/core/projects';
import { createRun } from '../../functions/core/runs';
import { cliInProcess } from './support/cli-in-process';
import { type CliTarget, cliTargets } from './support/targets';
import { jsonOf } from './support/run-cli';

/** Every committed migration, oldest first: what a fresh database has pending. */
const MIGRATIONS: string[] = readJournal().map((m) => m.tag);

const targets = cliTargets('cli_db');

// The CLI runs in this process (test/cli/support/cli-in-process.ts); test/cli/startup.test.ts runs
// the real binary. About 12 commands with migrations and a reset: seconds idle, sized for a loaded machine.
describe.each(targets)('pipestore db on %s', { timeout: 300_000 }, (_, makeTarget) => {
  let target: CliTarget;
  afterAll(() => target?.drop());

  const withDb = <T>(fn: (database: Database) => Promise<T>) => target.withDb(fn);
  const cli = (...args: string[]) => target.cli(...args);
  const rowCount = (database: Database, table: typeof projects | typeof idempotencyKeys | typeof pipelineRuns) =>
    database.db
      .select({ n: count() })
      .from(table)
      .then(([row]) => row!.n);

  it('migrates, reports status, cleans up, and resets only with --yes', async () => {
    target = await makeTarget();

    const before = await cli('db', 'status', '--json');
    expect(before.code).toBe(1); // pending migrations
    expect(jsonOf(before).migrations.pending).toEqual(MIGRATIONS);

    const migrate = await cli('db', 'init', '--json');
    expect(migrate.code).toBe(0);
    expect(jsonOf(migrate).applied).toEqual(MIGRATIONS);
    expect(jsonOf(await cli('db', 'migrate', '--json')).applied).toEqual([]);

    // Something for cleanup: an expired idempotency key and a running run that went silent.
    const staleRunId = await withDb(async ({ db }) => {
      const project = await createProject({ db, input: { name: 'cli' } });
      const { pipeline } = await createPipeline({ db, input: { projectId: project.id, name: 'p', definition: { stages: [{ id: 'a' }] } } });
      const run = await createRun({ db, input: { projectId: project.id, pipelineId: pipeline.id } });
      await db.execute(sql`update pipeline_runs set status = 'running', heartbeat_at = now() - interval '2 hours' where id = ${run.id}`);
      await db.insert(idempotencyKeys).values({
        projectId: project.id,
        scope: 'task',
        key: 'old',
        state: 'completed',
        expiresAt: sql`now() - interval '1 minute'`,
      });
      return run.id;
    });

    const status = jsonOf(await cli('db', 'status', '--json'));
    expect(status.migrations).toEqual({ applied: MIGRATIONS, pending: [] });
    expect(status.tables).toMatchObject({ projects: 1, pipelines: 1, pipeline_runs: 1, idempotency_keys: 1 });

    const dryRun = await cli('db', 'cleanup', '--dry-run', '--json');
    expect(dryRun.code).toBe(0);
    expect(jsonOf(dryRun)).toMatchObject({ dryRun: true, complete: true, steps: { expiredIdempotencyKeys: 1, staleRunsTimedOut: 1 } });
    await withDb(async (database) => expect(await rowCount(database, idempotencyKeys)).toBe(1));

    const cleanup = await cli('db', 'cleanup', '--json');
    expect(jsonOf(cleanup)).toMatchObject({ dryRun: false, complete: true, steps: { expiredIdempotencyKeys: 1, staleRunsTimedOut: 1 } });
    await withDb(async (database) => {
      expect(await rowCount(database, idempotencyKeys)).toBe(0);
      const [run] = await database.db.select({ status: pipelineRuns.status }).from(pipelineRuns).where(sql`id = ${staleRunId}`);
      expect(run!.status).toBe('timed_out');
    });

    const refused = await cli('db', 'reset');
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain('--yes');
    await withDb(async (database) => expect(await rowCount(database, projects)).toBe(1));

    const reset = await cli('db', 'reset', '--yes', '--json');
    expect(reset.code).toBe(0);
    await withDb(async (database) => expect(await rowCount(database, projects)).toBe(0));

    const check = jsonOf(await cli('db', 'check', '--json'));
    expect(check).toMatchObject({ reachable: true, serverVersion: expect.stringContaining('PostgreSQL') });
  });

  it('says what is wrong with bad usage and bad configuration', async () => {
    expect((await cli('db', 'cleanup', '--budget', 'soon')).code).toBe(2);
    expect((await cli('db', 'frobnicate')).code).toBe(2);
    const badConfig = await cliInProcess(['db', 'check'], { DATABASE_URL: 'mysql://nope' });
    expect(badConfig.code).toBe(3);
    expect(badConfig.stderr).toContain('DATABASE_URL');
    const unreachable = await cliInProcess(['db', 'check'], { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' });
    expect(unreachable.code).toBe(4);
  });
});
