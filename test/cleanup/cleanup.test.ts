/**
 * runCleanup on every driver (PGlite, node-postgres, the Data API through the local endpoint),
 * each on its own fresh database with every category seeded: exact counts, nothing else touched,
 * dry runs, budgets, and skipping what others hold locked.
 */
import { and, eq, like } from 'drizzle-orm';
import pg from 'pg';
import { pipelineRuns } from '../../db/schema';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCleanup, type CleanupInput } from '../../functions/core/cleanup';
import { setLogLevel } from '../../functions/log';
import { CLEANUP_DRIVERS, type DriverUnderTest } from './support/drivers';
import { NOW, SETTINGS, SMALL, expected, remaining, seed } from './support/seed';

const input = (extra: Partial<CleanupInput> = {}): CleanupInput => ({ now: NOW, ...SETTINGS, budgetMs: 60_000, ...extra });
let seeds = 0;
const newTag = () => `c${process.pid.toString(36)}x${(seeds++).toString(36)}`;

describe.each(Object.keys(CLEANUP_DRIVERS))('cleanup on %s', (driver) => {
  let subject: DriverUnderTest;

  beforeAll(async () => {
    setLogLevel('silent');
    subject = await CLEANUP_DRIVERS[driver]!('cleanup');
  });
  afterAll(async () => {
    setLogLevel('info');
    await subject?.teardown();
  });

  it('a dry run counts every step and changes nothing', async () => {
    const { db } = subject.database;
    const { projectId } = await seed(db, newTag(), SMALL);
    const before = await remaining(db, projectId);
    const result = await runCleanup({ db, input: input({ dryRun: true }) });
    expect(result).toMatchObject({ dryRun: true, complete: true, batches: 0, steps: expected(SMALL).steps });
    expect(await remaining(db, projectId)).toEqual(before);
    // Leave nothing for the next test's exact counts.
    await runCleanup({ db, input: input() });
  });

  it('deletes and times out exactly the rows that are due, and nothing else', async () => {
    const { db } = subject.database;
    const { projectId } = await seed(db, newTag(), SMALL);
    const result = await runCleanup({ db, input: input({ batchSize: 4 }) });
    expect(result).toMatchObject({ complete: true, dryRun: false, unfinished: [], skipped: [], steps: expected(SMALL).steps });
    expect(result.batches).toBeGreaterThan(4);
    expect(await remaining(db, projectId)).toEqual(expected(SMALL).left);
    // Done is done: the next round finds nothing.
    expect((await runCleanup({ db, input: input() })).steps).toEqual({
      staleRunsTimedOut: 0,
      pendingRunsTimedOut: 0,
      expiredIdempotencyKeys: 0,
      dlqEntries: 0,
      terminalRuns: 0,
    });
  });

  it('times out runs pending longer than PENDING_RUN_TIMEOUT_S, in batches, with the reason', async () => {
    const { db } = subject.database;
    const sizes = { ...SMALL, neverStartedRuns: 25 };
    const { projectId } = await seed(db, newTag(), sizes);
    // 300 days: every seeded pending run is younger, none is due.
    const patient = await runCleanup({ db, input: input({ pendingRunTimeoutSeconds: 300 * 86_400 }) });
    expect(patient.steps.pendingRunsTimedOut).toBe(0);
    expect((await remaining(db, projectId)).runs['neverstarted:pending']).toBe(25);

    // The default (86,400 s): the 200-day-old ones go, the hour-old ones stay; 4 rows a batch.
    const result = await runCleanup({ db, input: input({ batchSize: 4 }) });
    expect(result).toMatchObject({ complete: true, steps: { pendingRunsTimedOut: 25 } });
    expect(result.batches).toBeGreaterThanOrEqual(7);
    const left = await remaining(db, projectId);
    expect(left.runs).toMatchObject({ 'neverstarted:timed_out': 25, 'pending:pending': sizes.pendingRuns });
    const [run] = await db
      .select({ error: pipelineRuns.error, completedAt: pipelineRuns.completedAt, revision: pipelineRuns.revision })
      .from(pipelineRuns)
      .where(and(eq(pipelineRuns.projectId, projectId), like(pipelineRuns.id, '%_neverstarted_%')))
      .limit(1);
    expect(run).toEqual({
      error: { code: 'pending_timeout', message: 'still pending 86400 s after it was created (never started): timed out by cleanup' },
      completedAt: NOW,
      revision: 2,
    });
  });

  it('keeps terminal runs when RUN_RETENTION_DAYS is not set', async () => {
    const { db } = subject.database;
    const { projectId } = await seed(db, newTag(), SMALL);
    const result = await runCleanup({ db, input: input({ runRetentionDays: undefined }) });
    expect(result).toMatchObject({ complete: true, skipped: ['terminalRuns'], steps: { ...expected(SMALL).steps, terminalRuns: 0 } });
    const left = await remaining(db, projectId);
    expect(left.runs.oldterm).toBe(SMALL.oldTerminalRuns);
    expect(left.dlq).toEqual({ recentdlq: SMALL.recentDlq, cascadedlq: SMALL.cascadeDlq });
    await runCleanup({ db, input: input() });
  });

  // Seeds 2,000 keys and deletes them again, on the Data API over HTTP: minutes beside a full CPU load.
  it('stops when the budget runs out, says so, and the next call finishes the job', { timeout: 240_000 }, async () => {
    const { db } = subject.database;
    const sizes = { ...SMALL, expiredKeys: 2_000 };
    const { projectId } = await seed(db, newTag(), sizes);
    // No batch fits in no time at all.
    expect(await runCleanup({ db, input: input({ budgetMs: 0 }) })).toMatchObject({
      complete: false,
      batches: 0,
      unfinished: ['staleRunsTimedOut', 'pendingRunsTimedOut', 'expiredIdempotencyKeys', 'dlqEntries', 'terminalRuns'],
    });
    // Batches of 2 rows: a thousand transactions cannot fit in 60 ms on any driver.
    const cut = await runCleanup({ db, input: input({ budgetMs: 60, batchSize: 2 }) });
    expect(cut.complete).toBe(false);
    expect(cut.batches).toBeGreaterThan(0);
    expect(cut.unfinished).toContain('expiredIdempotencyKeys');
    const rest = await runCleanup({ db, input: input() });
    expect(rest.complete).toBe(true);
    const total = Object.fromEntries(Object.entries(rest.steps).map(([k, v]) => [k, v + cut.steps[k as keyof typeof cut.steps]]));
    expect(total).toEqual(expected(sizes).steps);
    expect(await remaining(db, projectId)).toEqual(expected(sizes).left);
  });

  it.runIf(driver === 'pg')('skips rows others hold locked, and gives up on a batch whose cascade would wait', async () => {
    const { db } = subject.database;
    const tag = newTag();
    const { projectId } = await seed(db, tag, SMALL);
    const other = new pg.Client({ connectionString: subject.url });
    await other.connect();
    try {
      await other.query('begin');
      // A request holding an expired key, and a worker holding a task run of an old terminal run.
      await other.query(`select 1 from idempotency_keys where key = '${tag}_expired_1' for update`);
      await other.query(`select 1 from task_runs where id = '${tag}_oldterm_1_t1' for update`);
      const started = performance.now();
      const result = await runCleanup({ db, input: input() });
      expect(performance.now() - started).toBeLessThan(5_000);
      expect(result).toMatchObject({ complete: false, unfinished: ['terminalRuns'] });
      expect(result.steps).toMatchObject({ expiredIdempotencyKeys: SMALL.expiredKeys - 1, dlqEntries: SMALL.oldDlq, staleRunsTimedOut: 5 });
    } finally {
      await other.query('rollback');
      await other.end();
    }
    const after = await runCleanup({ db, input: input() });
    expect(after).toMatchObject({ complete: true, steps: { expiredIdempotencyKeys: 1, terminalRuns: SMALL.oldTerminalRuns } });
    expect(await remaining(db, projectId)).toEqual(expected(SMALL).left);
  });
});
