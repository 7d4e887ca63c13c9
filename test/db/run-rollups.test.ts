/**
 * run_rollups (migration 0009) stay equal to what pipeline_runs says, whatever writes the runs:
 * the core's create and finish, hand-written updates of times and statuses, deletes of runs and
 * the cascade of a pipeline's deletion. And GET /v1/runs/stats read from them (whole hours and
 * days) plus the exact edges gives exact counts and percentiles within the stated 2.5 % for
 * windows starting anywhere. On PGlite, and on Postgres with TEST_DATABASE_URL.
 */
import { sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Db } from '../../db/client';
import { RUN_STATUSES, type RunStatus, pipelineRuns } from '../../db/schema';
import { DURATION_RELATIVE_ERROR } from '../../functions/core/duration-histogram';
import { createPipeline, deletePipeline } from '../../functions/core/pipelines';
import { createProject } from '../../functions/core/projects';
import { runStats } from '../../functions/core/run-stats';
import { createRun, updateRun } from '../../functions/core/runs';
import { testDatabase } from '../support/database';

const definition = { stages: [{ id: 'build' }] };
const HOUR = 3600_000;

type Row = { pipeline_id: string; period_hours: number; period_start: string; bucket: number; runs: number };
const rowsOf = (result: unknown) =>
  (result as { rows: Row[] }).rows.map((r) => ({
    ...r,
    period_hours: Number(r.period_hours),
    bucket: Number(r.bucket),
    runs: Number(r.runs),
    period_start: new Date(r.period_start).toISOString(),
  }));
const byKey = (rows: Row[]) =>
  rows.sort((a, b) =>
    `${a.pipeline_id}${a.period_hours}${a.period_start}${a.bucket}`.localeCompare(`${b.pipeline_id}${b.period_hours}${b.period_start}${b.bucket}`),
  );

/** The project's rollups as kept by the trigger, and as a rebuild from pipeline_runs computes them. */
async function rollups(db: Db, projectId: string) {
  const kept = await db.execute(sql`select pipeline_id, period_hours, period_start, bucket, runs from run_rollups
    where project_id = ${projectId} and runs <> 0`);
  const rebuilt = await db.execute(sql`select r.pipeline_id, p.hours as period_hours,
      date_bin(p.hours * interval '1 hour', r.created_at, timestamptz '2000-01-01 00:00:00+00') as period_start, b.bucket, count(*)::int as runs
    from pipeline_runs r cross join (values (1), (24)) p(hours)
    cross join lateral run_rollup_buckets(r.status, r.started_at, r.completed_at) b(bucket)
    where r.project_id = ${projectId} group by 1, 2, 3, 4`);
  return { kept: byKey(rowsOf(kept)), rebuilt: byKey(rowsOf(rebuilt)) };
}

async function newProject(db: Db) {
  const project = await createProject({ db, input: { name: 'rollups' } });
  const pipelineIds = [];
  for (const name of ['a', 'b']) pipelineIds.push((await createPipeline({ db, input: { projectId: project.id, name, definition } })).pipeline.id);
  return { projectId: project.id, pipelineIds };
}

describe('run rollups', () => {
  let db: Db;
  beforeAll(async () => {
    db = (await testDatabase()).db;
  });

  it('follow runs created, finished, moved in time, deleted, and deleted with their pipeline', async () => {
    const { projectId, pipelineIds } = await newProject(db);
    const runs = [];
    for (let i = 0; i < 6; i++) runs.push(await createRun({ db, input: { projectId, pipelineId: pipelineIds[i % 2]! } }));
    expect((await rollups(db, projectId)).kept).toEqual((await rollups(db, projectId)).rebuilt);

    for (const run of runs.slice(0, 4)) await updateRun({ db, input: { projectId, runId: run.id, patch: { status: 'running' } } });
    await updateRun({ db, input: { projectId, runId: runs[0]!.id, patch: { status: 'succeeded' } } });
    await updateRun({ db, input: { projectId, runId: runs[1]!.id, patch: { status: 'failed' } } });
    // Moved to other hours and days, with durations set by hand; a heartbeat-like update changes nothing.
    await db.execute(sql`update pipeline_runs set created_at = now() - interval '30 hours', started_at = now() - interval '30 hours',
      completed_at = now() - interval '29 hours' where id = ${runs[0]!.id}`);
    await db.execute(sql`update pipeline_runs set completed_at = started_at + interval '1234 milliseconds' where id = ${runs[1]!.id}`);
    await db.execute(sql`update pipeline_runs set heartbeat_at = now() where id = ${runs[2]!.id}`);
    await db.execute(
      sql`update pipeline_runs set status = 'timed_out', completed_at = now(), created_at = now() - interval '3 days' where id = ${runs[3]!.id}`,
    );
    let { kept, rebuilt } = await rollups(db, projectId);
    expect(kept).toEqual(rebuilt);
    expect(kept.filter((r) => r.bucket >= 0 && r.period_hours === 24).reduce((n, r) => n + r.runs, 0)).toBe(3);

    await db.delete(pipelineRuns).where(sql`${pipelineRuns.id} = ${runs[1]!.id}`);
    ({ kept, rebuilt } = await rollups(db, projectId));
    expect(kept).toEqual(rebuilt);

    await deletePipeline({ db, input: { projectId, id: pipelineIds[0]! } });
    ({ kept, rebuilt } = await rollups(db, projectId));
    expect(kept).toEqual(rebuilt);
    expect(kept.every((r) => r.pipeline_id === pipelineIds[1])).toBe(true);
  });

  it('give exact counts and percentiles within 2.5 % for windows starting anywhere over 3 days', async () => {
    const { projectId, pipelineIds } = await newProject(db);
    const now = Date.now();
    const version = await db.execute(sql`select id, active_version_id from pipelines where project_id = ${projectId}`);
    const versionOf = new Map((version as unknown as { rows: { id: string; active_version_id: string }[] }).rows.map((r) => [r.id, r.active_version_id]));
    // 300 runs every ~15 min over 3 days: statuses and durations (0.4 ms .. 2 h) spread by index.
    const fixture = Array.from({ length: 300 }, (_, n) => {
      const status = RUN_STATUSES[(n * 7) % RUN_STATUSES.length]!;
      const createdAt = now - 72 * HOUR + n * 863_000 + 17;
      const finished = !['pending', 'running'].includes(status);
      const duration = finished ? Math.round(0.4 * 1.09 ** ((n * 37) % 190)) : null;
      return { n, status, createdAt, duration, pipelineId: pipelineIds[n % 2]! };
    });
    await db.insert(pipelineRuns).values(
      fixture.map((r) => ({
        id: `run_rollup_${projectId}_${r.n}`,
        projectId,
        pipelineId: r.pipelineId,
        versionId: versionOf.get(r.pipelineId)!,
        status: r.status,
        createdAt: new Date(r.createdAt),
        startedAt: r.status === 'pending' ? null : new Date(r.createdAt + 5),
        completedAt: r.duration === null ? null : new Date(r.createdAt + 5 + r.duration),
      })),
    );
    const exactPercentile = (values: number[], fraction: number) => {
      const sorted = [...values].sort((a, b) => a - b);
      const rank = fraction * (sorted.length - 1);
      const low = Math.floor(rank);
      return sorted[low]! + (sorted[Math.ceil(rank)]! - sorted[low]!) * (rank - low);
    };
    const within = (actual: number | null, expected: number) => Math.abs(actual! - expected) <= expected * DURATION_RELATIVE_ERROR + 1;

    for (const hoursAgo of [0.3, 1, 5.5, 11, 13.25, 23.9, 24, 36.7, 47, 60.1, 71.9]) {
      const since = new Date(now - hoursAgo * HOUR);
      const stats = await runStats({ db, projectId, since });
      const inWindow = fixture.filter((r) => r.createdAt >= since.getTime());
      const counts = Object.fromEntries(RUN_STATUSES.map((s) => [s, inWindow.filter((r) => r.status === s).length])) as Record<RunStatus, number>;
      expect(stats.total.counts, `since ${hoursAgo} h`).toEqual(counts);
      const durations = inWindow.flatMap((r) => (r.duration === null ? [] : [r.duration]));
      expect(stats.total.durationMs.finished).toBe(durations.length);
      if (durations.length === 0) continue;
      expect(within(stats.total.durationMs.p50, exactPercentile(durations, 0.5)), `p50 since ${hoursAgo} h`).toBe(true);
      expect(within(stats.total.durationMs.p95, exactPercentile(durations, 0.95)), `p95 since ${hoursAgo} h`).toBe(true);
      for (const group of stats.pipelines) {
        const own = inWindow.filter((r) => r.pipelineId === group.pipelineId);
        expect(group.total).toBe(own.length);
        const ownDurations = own.flatMap((r) => (r.duration === null ? [] : [r.duration]));
        if (ownDurations.length) expect(within(group.durationMs.p95, exactPercentile(ownDurations, 0.95))).toBe(true);
      }
    }
  });
});
