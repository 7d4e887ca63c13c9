/**
 * GET /v1/runs/stats: counts per status and duration percentiles of finished runs, per pipeline
 * and in total, over a window.
 */
import { sql } from 'drizzle-orm';
import { describe, expect } from 'vitest';
import { newPipeline, newProject } from '../support/api';
import { test as projectTest } from '../support/fixtures';
import { runInStatus } from '../support/runs';

/** Linear interpolation between closest ranks, as percentile_cont computes it. */
function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const rank = fraction * (sorted.length - 1);
  const low = Math.floor(rank);
  return sorted[low]! + (sorted[Math.ceil(rank)]! - sorted[low]!) * (rank - low);
}

/** The stated bound of the percentiles (README, API description): within 2.5 %, plus the 0.1 ms rounding. */
const BOUND = 0.025;
expect.extend({
  toBeWithinRelative(received: number, expected: number, bound: number) {
    const pass = Math.abs(received - expected) <= expected * bound + 0.05;
    return { pass, message: () => `expected ${received} to be within ${bound * 100} % of ${expected}` };
  },
});
declare module 'vitest' {
  interface Assertion {
    toBeWithinRelative(expected: number, bound: number): void;
  }
}

/**
 * Fourteen runs of two pipelines in the last day, one older and one of another project, with
 * durations of 100 ms and 5 s steps, built once for the file: every test only reads them.
 */
const test = projectTest.extend('runs', { scope: 'file' }, async ({ api }) => {
  const { key } = await newProject(api);
  const fast = await newPipeline(api, key);
  const slow = await newPipeline(api, key);
  const durations: Record<string, number[]> = { fast: [], slow: [] };
  const now = Date.now();
  const set = (id: string, createdAt: number, startedAt: number | null, completedAt: number | null) =>
    api.database.db.execute(sql`update pipeline_runs set created_at = ${new Date(createdAt).toISOString()}::timestamptz,
      started_at = ${startedAt === null ? null : new Date(startedAt).toISOString()}::timestamptz,
      completed_at = ${completedAt === null ? null : new Date(completedAt).toISOString()}::timestamptz where id = ${id}`);
  for (let i = 0; i < 7; i++) {
    for (const [name, pipeline, unit] of [
      ['fast', fast, 100],
      ['slow', slow, 5000],
    ] as const) {
      const status = i < 4 ? 'succeeded' : i < 6 ? 'failed' : 'running';
      const run = await runInStatus(api, key, pipeline.id, status);
      const created = now - (i + 1) * 3600_000;
      const duration = unit * (i + 1);
      await set(run.id, created, created + 1000, status === 'running' ? null : created + 1000 + duration);
      if (status !== 'running') durations[name]!.push(duration);
    }
  }
  // Outside the default window (2 days old), and a run of another project.
  const old = await runInStatus(api, key, fast.id, 'cancelled');
  await set(old.id, now - 48 * 3600_000, null, now - 48 * 3600_000);
  const stranger = (await newProject(api, 'stranger')).key;
  await runInStatus(api, stranger, (await newPipeline(api, stranger)).id, 'failed');
  const client = api.client(key);
  return { fast, slow, durations, stats: (since?: string) => client.GET('/v1/runs/stats', { params: { query: { since } } }) };
});

describe('GET /v1/runs/stats', () => {
  test('counts per status and p50/p95 of finished durations, per pipeline and in total, over the last 24 h', async ({
    runs: { fast, slow, durations, stats },
  }) => {
    const res = await stats();
    expect(res.response.status).toBe(200);
    const { total, pipelines } = res.data!;
    expect(total.counts).toEqual({ pending: 0, running: 2, succeeded: 8, failed: 4, cancelled: 0, timed_out: 0 });
    expect(total.total).toBe(14);
    expect(total.durationMs.finished).toBe(12);
    const all = [...durations.fast!, ...durations.slow!];
    expect(total.durationMs.p50).toBeWithinRelative(percentile(all, 0.5), BOUND);
    expect(total.durationMs.p95).toBeWithinRelative(percentile(all, 0.95), BOUND);
    expect(pipelines.map((p) => p.pipelineName).sort()).toEqual([fast.name, slow.name].sort());
    const slowStats = pipelines.find((p) => p.pipelineId === slow.id)!;
    expect(slowStats.counts).toMatchObject({ succeeded: 4, failed: 2, running: 1 });
    expect(slowStats.durationMs.finished).toBe(6);
    expect(slowStats.durationMs.p50).toBeWithinRelative(percentile(durations.slow!, 0.5), BOUND);
    expect(slowStats.durationMs.p95).toBeWithinRelative(percentile(durations.slow!, 0.95), BOUND);
    expect(Date.parse(res.data!.until) - Date.parse(res.data!.since)).toBeCloseTo(24 * 3600_000, -4);
  });

  test('takes a window as a duration or a time, at most 31 days', async ({ runs: { stats } }) => {
    expect((await stats('210m')).data!.total.total).toBe(6);
    expect((await stats('3d')).data!.total.counts.cancelled).toBe(1);
    const since = new Date(Date.now() - 30 * 24 * 3600_000).toISOString();
    expect((await stats(since)).data!.total.total).toBe(15);
  });

  test('is empty, not missing, for a project without runs in the window', async ({ project: { client } }) => {
    const res = await client.GET('/v1/runs/stats');
    expect(res.response.status).toBe(200);
    expect(res.data!.total).toMatchObject({ total: 0, durationMs: { p50: null, p95: null, finished: 0 } });
    expect(res.data!.pipelines).toEqual([]);
  });

  // Windows the parameter's schema refuses, and an unknown parameter, so sent untyped.
  test.for([['?since=32d'], ['?since=2020-01-01T00:00:00Z'], ['?since=2999-01-01T00:00:00Z'], ['?since=soon'], ['?since=0h'], ['?window=1d']])(
    '400 naming the parameter for %s',
    async ([query], { project: { call } }) => {
      const res = await call('GET', `/v1/runs/stats${query}`);
      expect(res.status).toBe(400);
      expect(res.body.errors[0].path).toMatch(/^query\.(since|window)$/);
    },
  );
});
