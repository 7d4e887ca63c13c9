/**
 * tickSchedules with an explicit clock: which slots fire, exactly once, and what a run records.
 * Fixtures say when each schedule took effect (scheduleSince), so the simulated clock is the only
 * clock; ticks come 17 s into a minute, as a scheduler's would.
 */
import { eq, sql } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { pipelines } from '../../db/schema';
import { deletePipeline, getPipeline, updatePipeline } from '../../functions/core/pipelines';
import { pauseSchedule, resumeSchedule, tickSchedules } from '../../functions/core/schedules';
import { testDatabase } from '../support/database';
import { addMinutes, at, minutes, scheduleSince, scheduledProject } from './support';

let database: Database;
beforeAll(async () => {
  database = await testDatabase();
});

const SECONDS_INTO_MINUTE = 17_000;
const tickAt = (projectId: string, now: Date) => tickSchedules({ db: database.db, now, projectId });
async function tickEveryMinute(projectId: string, from: Date, to: Date) {
  for (const minute of minutes(from, to)) await tickAt(projectId, new Date(minute.getTime() + SECONDS_INTO_MINUTE));
}
const slotsOf = (runs: { pipelineId: string; scheduledFor: string | null }[], pipelineId: string) =>
  runs.filter((r) => r.pipelineId === pipelineId).map((r) => r.scheduledFor);

describe('a simulated day', () => {
  it('every-minute, hourly and daily schedules fire exactly their slots, once each', { timeout: 300_000 }, async () => {
    const p = await scheduledProject(database.db);
    const since = at('2029-12-31T23:59:30Z');
    const everyMinute = await p.pipeline('* * * * *', { since });
    const hourly = await p.pipeline('0 * * * *', { since });
    const midnight = await p.pipeline('0 0 * * *', { since });
    const afternoon = await p.pipeline('30 14 * * *', { since });

    const day = at('2030-01-01T00:00:00Z');
    await tickEveryMinute(p.projectId, day, addMinutes(day, 24 * 60));

    const runs = await p.runs();
    expect(slotsOf(runs, everyMinute.id)).toEqual([...minutes(day, addMinutes(day, 1440))].map((d) => d.toISOString()));
    expect(slotsOf(runs, hourly.id)).toEqual(Array.from({ length: 24 }, (_, h) => addMinutes(day, h * 60).toISOString()));
    expect(slotsOf(runs, midnight.id)).toEqual(['2030-01-01T00:00:00.000Z']);
    expect(slotsOf(runs, afternoon.id)).toEqual(['2030-01-01T14:30:00.000Z']);
    expect(runs.every((r) => r.trigger === 'schedule' && r.status === 'pending' && r.missedSlots === 0)).toBe(true);
  });

  it('pins each run to the version active when its slot fires', async () => {
    const p = await scheduledProject(database.db);
    const pipeline = await p.pipeline('* * * * *', { since: at('2030-01-01T09:59:30Z') });
    await tickAt(p.projectId, at('2030-01-01T10:00:05Z'));
    const [run] = await p.runs();
    const [row] = await database.db.select({ active: pipelines.activeVersionId }).from(pipelines).where(eq(pipelines.id, pipeline.id));
    expect(run!.versionId).toBe(row!.active);
  });
});

describe('a slot is due only after the schedule existed', () => {
  it('a * * * * * schedule created at 10:00:30 does not fire 10:00, and fires 10:01', async () => {
    const p = await scheduledProject(database.db);
    await p.pipeline('* * * * *', { since: at('2030-01-01T10:00:30Z') });
    expect((await tickAt(p.projectId, at('2030-01-01T10:00:45Z'))).fired).toEqual([]);
    const { fired } = await tickAt(p.projectId, at('2030-01-01T10:01:02Z'));
    expect(fired.map((f) => [f.scheduledFor, f.missedSlots])).toEqual([['2030-01-01T10:01:00.000Z', 0]]);
  });

  it('on the real clock too: a tick at the moment of creation fires nothing', async () => {
    const p = await scheduledProject(database.db);
    await p.pipeline('* * * * *');
    expect((await tickAt(p.projectId, new Date())).fired).toEqual([]);
  });
});

describe('Europe/Berlin daylight saving time, as croner defines it', () => {
  it('spring forward: a fixed-time 02:30 fires once at 03:00 CEST; an interval schedule skips the missing hour', async () => {
    const p = await scheduledProject(database.db);
    const since = at('2030-03-30T12:00:00Z');
    const fixed = await p.pipeline('30 2 * * *', { timezone: 'Europe/Berlin', since });
    const interval = await p.pipeline('*/30 * * * *', { timezone: 'Europe/Berlin', since });
    // 00:00 CET to 05:00 CEST on 2030-03-31, when 02:00 CET jumps to 03:00 CEST.
    await tickEveryMinute(p.projectId, at('2030-03-30T23:00:00Z'), at('2030-03-31T03:00:00Z'));
    const runs = await p.runs();
    expect(slotsOf(runs, fixed.id)).toEqual(['2030-03-31T01:00:00.000Z']); // 03:00 CEST
    expect(slotsOf(runs, interval.id)).toEqual([
      '2030-03-30T23:00:00.000Z', // 00:00 CET
      '2030-03-30T23:30:00.000Z',
      '2030-03-31T00:00:00.000Z',
      '2030-03-31T00:30:00.000Z', // 01:30 CET; 02:00 and 02:30 do not exist
      '2030-03-31T01:00:00.000Z', // 03:00 CEST
      '2030-03-31T01:30:00.000Z',
      '2030-03-31T02:00:00.000Z',
      '2030-03-31T02:30:00.000Z',
    ]);
  });

  it('fall back: a fixed-time 02:30 fires once (its first occurrence); an interval schedule fires both 02:00 and 02:30 twice', async () => {
    const p = await scheduledProject(database.db);
    const since = at('2030-10-26T12:00:00Z');
    const fixed = await p.pipeline('30 2 * * *', { timezone: 'Europe/Berlin', since });
    const interval = await p.pipeline('*/30 2 * * *', { timezone: 'Europe/Berlin', since });
    // 00:00 CEST to 05:00 CET on 2030-10-27, when 03:00 CEST falls back to 02:00 CET.
    await tickEveryMinute(p.projectId, at('2030-10-26T22:00:00Z'), at('2030-10-27T04:00:00Z'));
    const runs = await p.runs();
    expect(slotsOf(runs, fixed.id)).toEqual(['2030-10-27T00:30:00.000Z']); // 02:30 CEST
    expect(slotsOf(runs, interval.id)).toEqual([
      '2030-10-27T00:00:00.000Z', // 02:00 CEST
      '2030-10-27T00:30:00.000Z', // 02:30 CEST
      '2030-10-27T01:00:00.000Z', // 02:00 CET
      '2030-10-27T01:30:00.000Z', // 02:30 CET
    ]);
  });
});

describe('downtime', () => {
  it('a tick after 3 h without ticks creates one run per pipeline, for the latest slot, with the missed count', async () => {
    const p = await scheduledProject(database.db);
    const since = at('2029-12-31T23:59:30Z');
    const everyMinute = await p.pipeline('* * * * *', { since });
    const quarterly = await p.pipeline('*/15 * * * *', { since });
    const hourly = await p.pipeline('0 * * * *', { since });
    const daily = await p.pipeline('0 6 * * *', { since });
    await tickAt(p.projectId, at('2030-01-01T00:00:05Z'));
    const { fired } = await tickAt(p.projectId, at('2030-01-01T03:00:05Z'));

    const byPipeline = Object.fromEntries(fired.map((f) => [f.pipelineId, [f.scheduledFor, f.missedSlots]]));
    expect(byPipeline).toEqual({
      [everyMinute.id]: ['2030-01-01T03:00:00.000Z', 179],
      [quarterly.id]: ['2030-01-01T03:00:00.000Z', 11],
      [hourly.id]: ['2030-01-01T03:00:00.000Z', 2],
    });
    expect(byPipeline[daily.id]).toBeUndefined();
    const runs = await p.runs();
    expect(
      runs
        .filter((r) => r.scheduledFor === '2030-01-01T03:00:00.000Z')
        .map((r) => r.missedSlots)
        .sort(),
    ).toEqual([11, 179, 2].sort());
  });
});

describe('pause, resume, change, delete', () => {
  it('a paused schedule fires nothing; resumed, it fires the next slot and counts nothing missed while paused', async () => {
    const p = await scheduledProject(database.db);
    const pipeline = await p.pipeline('* * * * *', { since: at('2030-01-01T09:59:30Z') });
    await tickAt(p.projectId, at('2030-01-01T10:00:05Z'));
    const paused = await pauseSchedule({ db: database.db, input: { projectId: p.projectId, id: pipeline.id } });
    expect(paused).toMatchObject({ schedule: '* * * * *', scheduleEnabled: false, nextRunAt: null });
    await tickAt(p.projectId, at('2030-01-01T10:01:05Z'));
    await tickAt(p.projectId, at('2030-01-01T10:02:05Z'));
    expect(slotsOf(await p.runs(), pipeline.id)).toEqual(['2030-01-01T10:00:00.000Z']);

    const before = new Date(Date.now() - 1000);
    const resumed = await resumeSchedule({ db: database.db, input: { projectId: p.projectId, id: pipeline.id } });
    expect(resumed.scheduleEnabled).toBe(true);
    const [row] = await database.db.select().from(pipelines).where(eq(pipelines.id, pipeline.id));
    expect(row!.scheduleSince.getTime()).toBeGreaterThanOrEqual(before.getTime()); // resuming restarts the schedule
    expect(row!.scheduleNextAt).toBeNull();
    await scheduleSince(database.db, pipeline.id, at('2030-01-01T10:02:30Z')); // the resume, on the simulated clock
    const { fired } = await tickAt(p.projectId, at('2030-01-01T10:05:05Z'));
    expect(fired.map((f) => [f.scheduledFor, f.missedSlots])).toEqual([['2030-01-01T10:05:00.000Z', 2]]);
  });

  it('changing the expression restarts the schedule; re-sending the same one does not', async () => {
    const p = await scheduledProject(database.db);
    const pipeline = await p.pipeline('* * * * *', { since: at('2030-01-01T09:59:30Z') });
    await tickAt(p.projectId, at('2030-01-01T10:00:05Z'));

    const same = await updatePipeline({ db: database.db, input: { projectId: p.projectId, id: pipeline.id, patch: { schedule: '* * * * *' } } });
    expect(same.lastScheduledFor).toBe('2030-01-01T10:00:00.000Z');
    const [unchanged] = await database.db.select().from(pipelines).where(eq(pipelines.id, pipeline.id));
    expect(unchanged!.scheduleSince.toISOString()).toBe('2030-01-01T09:59:30.000Z');

    await updatePipeline({ db: database.db, input: { projectId: p.projectId, id: pipeline.id, patch: { schedule: '0 * * * *' } } });
    await scheduleSince(database.db, pipeline.id, at('2030-01-01T10:02:30Z')); // the change, on the simulated clock
    expect((await tickAt(p.projectId, at('2030-01-01T10:03:05Z'))).fired).toEqual([]);
    const { fired } = await tickAt(p.projectId, at('2030-01-01T11:00:05Z'));
    expect(fired.map((f) => [f.scheduledFor, f.missedSlots])).toEqual([['2030-01-01T11:00:00.000Z', 0]]);
  });

  it('a deleted pipeline, or one without an active version, creates nothing', async () => {
    const p = await scheduledProject(database.db);
    const since = at('2030-01-01T09:59:30Z');
    const deleted = await p.pipeline('* * * * *', { since });
    const inactive = await p.pipeline('* * * * *', { since });
    const kept = await p.pipeline('* * * * *', { since });
    await deletePipeline({ db: database.db, input: { projectId: p.projectId, id: deleted.id } });
    await database.db.update(pipelines).set({ activeVersionId: sql`null` }).where(eq(pipelines.id, inactive.id));

    const { fired } = await tickAt(p.projectId, at('2030-01-01T10:00:05Z'));
    expect(fired.map((f) => f.pipelineId)).toEqual([kept.id]);
  });

  it('a dry run reports what would fire and writes nothing', async () => {
    const p = await scheduledProject(database.db);
    const pipeline = await p.pipeline('* * * * *', { since: at('2030-01-01T09:59:30Z') });
    const dry = await tickSchedules({ db: database.db, now: at('2030-01-01T10:00:05Z'), projectId: p.projectId, dryRun: true });
    expect(dry.fired).toEqual([expect.objectContaining({ pipelineId: pipeline.id, scheduledFor: '2030-01-01T10:00:00.000Z', runId: null })]);
    expect(await p.runs()).toEqual([]);
    expect((await getPipeline({ db: database.db, input: { projectId: p.projectId, idOrName: pipeline.id } })).lastScheduledFor).toBeNull();
  });
});

describe('round trips', () => {
  it('are 1 read + 1 write per 500 due schedules, however many schedules there are; 1 when nothing is due', { timeout: 120_000 }, async () => {
    const p = await scheduledProject(database.db);
    const since = at('2030-01-01T09:59:30Z');
    for (let i = 0; i < 40; i++) await p.pipeline(i % 4 ? '0 3 * * *' : '* * * * *', { since });
    await tickAt(p.projectId, at('2030-01-01T10:00:05Z')); // first sight: every next slot computed
    const measure = async (now: Date) => {
      const before = database.roundTrips;
      const result = await tickAt(p.projectId, now);
      return { trips: database.roundTrips - before, fired: result.fired.length, reported: result.roundTrips };
    };
    expect(await measure(at('2030-01-01T10:01:05Z'))).toEqual({ trips: 2, fired: 10, reported: 2 });
    expect(await measure(at('2030-01-01T10:01:35Z'))).toEqual({ trips: 1, fired: 0, reported: 1 });
  });
});

describe('concurrent ticks', () => {
  it('20 ticks at one instant create one run per due slot', { timeout: 120_000 }, async () => {
    const p = await scheduledProject(database.db);
    const since = at('2030-01-01T09:59:30Z');
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) ids.push((await p.pipeline(i % 2 ? '* * * * *' : '0 10 * * *', { since })).id);

    const now = at('2030-01-01T10:00:05Z');
    const results = await Promise.all(Array.from({ length: 20 }, () => tickAt(p.projectId, now)));

    const runs = await p.runs();
    expect(runs).toHaveLength(30);
    expect(new Set(runs.map((r) => r.pipelineId))).toEqual(new Set(ids));
    expect(runs.every((r) => r.scheduledFor === '2030-01-01T10:00:00.000Z')).toBe(true);
    // Each run is reported by exactly the tick that created it.
    expect(results.flatMap((r) => r.fired.map((f) => f.runId)).sort()).toEqual(runs.map((r) => r.id).sort());
  });
});
