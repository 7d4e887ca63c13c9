/**
 * Cleanup at volume on real Postgres: 100k rows across every category. Exact counts, nothing else
 * deleted, every batch short (no lock or Data API call held for long), and a budget that is cut
 * short stops with progress made and is finished by the next call.
 */
import { count } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dlq, idempotencyKeys, pipelineRuns, taskRuns } from '../../db/schema';
import { runCleanup, type CleanupInput, type CleanupResult } from '../../functions/core/cleanup';
import { setLogLevel } from '../../functions/log';
import { TEST_DATABASE_URL } from '../support/database';
import { CLEANUP_DRIVERS, type DriverUnderTest } from './support/drivers';
import { LARGE, NOW, SETTINGS, expected, remaining, seed, totalRows } from './support/seed';

const MAX_BATCH_MS = 250;

describe.skipIf(!TEST_DATABASE_URL)('cleanup of 100k rows on PostgreSQL', () => {
  let subject: DriverUnderTest;
  let projectId: string;

  beforeAll(async () => {
    setLogLevel('silent');
    subject = await CLEANUP_DRIVERS.pg!('cleanup100k');
    const started = performance.now();
    ({ projectId } = await seed(subject.database.db, 'big', LARGE));
    const { db } = subject.database;
    const rows = await Promise.all([pipelineRuns, taskRuns, dlq, idempotencyKeys].map(async (t) => (await db.select({ n: count() }).from(t))[0]!.n));
    expect(rows.reduce((a, b) => a + b)).toBe(totalRows(LARGE));
    expect(totalRows(LARGE)).toBeGreaterThanOrEqual(100_000);
    console.info(`seeded ${totalRows(LARGE)} rows in ${Math.round(performance.now() - started)} ms`);
  });
  afterAll(async () => {
    setLogLevel('info');
    await subject?.teardown();
  });

  const input = (extra: Partial<CleanupInput>): CleanupInput => ({ now: NOW, ...SETTINGS, budgetMs: 120_000, ...extra });
  const report = (label: string, r: CleanupResult) =>
    console.info(
      `${label}: ${JSON.stringify(r.steps)} complete=${r.complete} batches=${r.batches} total=${r.durationMs} ms longest batch=${r.longestBatchMs} ms`,
    );

  it('counts exactly in a dry run', async () => {
    const result = await runCleanup({ db: subject.database.db, input: input({ dryRun: true }) });
    expect(result.steps).toEqual(expected(LARGE).steps);
  });

  it('stops short with progress when the budget is cut, and the next call finishes exactly', async () => {
    const { db } = subject.database;
    const cut = await runCleanup({ db, input: input({ budgetMs: 300 }) });
    report('cut short (300 ms budget)', cut);
    expect(cut.complete).toBe(false);
    const done = Object.values(cut.steps).reduce((a, b) => a + b);
    expect(done).toBeGreaterThan(0);
    expect(cut.durationMs).toBeLessThan(300 + MAX_BATCH_MS);

    const rest = await runCleanup({ db, input: input({}) });
    report('second call', rest);
    expect(rest).toMatchObject({ complete: true, unfinished: [] });
    for (const r of [cut, rest]) expect(r.longestBatchMs).toBeLessThan(MAX_BATCH_MS);
    const total = Object.fromEntries(Object.entries(rest.steps).map(([k, v]) => [k, v + cut.steps[k as keyof typeof cut.steps]]));
    expect(total).toEqual(expected(LARGE).steps);
    expect(await remaining(db, projectId)).toEqual(expected(LARGE).left);
  });
});
