/**
 * Schedules through the API: a pipeline's schedule with its time zone and pause switch, what its
 * responses say about the next and last fire, GET /v1/schedules, and bad input named by field.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tickSchedules } from '../../functions/core/schedules';
import { definePipeline } from '../../functions/sdk';
import { type TestApi, newPipeline, newProject, simpleDefinition, testApi } from '../support/api';

let api: TestApi;
beforeAll(async () => {
  api = await testApi();
});

const nextMinute = (from: Date) => new Date(Math.floor(from.getTime() / 60_000) * 60_000 + 60_000);

describe('a pipeline schedule', () => {
  it('takes a time zone and a pause switch, and shows when it fires next', async () => {
    const { key } = await newProject(api);
    const created = await newPipeline(api, key, { schedule: '0 9 * * *', timezone: 'Europe/Berlin' });
    expect(created).toMatchObject({ schedule: '0 9 * * *', timezone: 'Europe/Berlin', scheduleEnabled: true, lastScheduledFor: null });
    // 09:00 in Berlin is 07:00 or 08:00 UTC, within the next day.
    const next = new Date(created.nextRunAt ?? '');
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(24 * 3600_000);
    expect([7, 8]).toContain(next.getUTCHours());

    const paused = await api.call('PATCH', `/v1/pipelines/${created.id}`, { token: key, body: { scheduleEnabled: false } });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ schedule: '0 9 * * *', scheduleEnabled: false, nextRunAt: null });
    const resumed = await api.call('PATCH', `/v1/pipelines/${created.id}`, { token: key, body: { scheduleEnabled: true, timezone: 'UTC' } });
    expect(resumed.body).toMatchObject({ scheduleEnabled: true, timezone: 'UTC' });
    expect(new Date(resumed.body.nextRunAt).getUTCHours()).toBe(9);
  });

  it('defaults to UTC, enabled; a pipeline without a schedule has no next run', async () => {
    const { key } = await newProject(api);
    expect(await newPipeline(api, key)).toMatchObject({ schedule: null, timezone: 'UTC', scheduleEnabled: true, nextRunAt: null });
  });

  const create = (key: string, body: Record<string, unknown>) =>
    api.call('POST', '/v1/pipelines', { token: key, body: { name: 'bad-schedule', definition: simpleDefinition(), ...body } });

  it.each([['Mars/Olympus_Mons'], ['CEST'], ['+01:00'], ['']])('an unknown time zone %j is a 400 naming timezone', async (timezone) => {
    const { key } = await newProject(api);
    const res = await create(key, { schedule: '0 3 * * *', timezone });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['timezone']);
  });

  it.each([['*/10 * * * * *'], ['0 0 3 * * * 2030']])('a seconds (or years) cron %j is refused: at most once a minute', async (schedule) => {
    const { key } = await newProject(api);
    const res = await create(key, { schedule });
    expect(res.status).toBe(400);
    expect(res.body.errors).toEqual([{ path: 'schedule', message: expect.stringContaining('seconds are not supported') }]);
  });

  it('PATCH checks the same: a bad zone is a 400 naming timezone', async () => {
    const { key } = await newProject(api);
    const pipeline = await newPipeline(api, key, { schedule: '0 3 * * *' });
    const res = await api.call('PATCH', `/v1/pipelines/${pipeline.id}`, { token: key, body: { timezone: 'Nowhere/Special' } });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(['timezone']);
  });

  it('definePipeline checks them where the file is evaluated', () => {
    const stages = [{ id: 'a' }];
    expect(definePipeline({ name: 'ok', schedule: '0 3 * * *', timezone: 'America/New_York', scheduleEnabled: false, stages })).toMatchObject({
      timezone: 'America/New_York',
      scheduleEnabled: false,
    });
    expect(() => definePipeline({ name: 'bad', schedule: '0 3 * * *', timezone: 'Berlin', stages })).toThrow(/timezone: must be an IANA time zone/);
    expect(() => definePipeline({ name: 'bad', schedule: '* * * * * *', stages })).toThrow(/schedule: seconds are not supported/);
  });
});

describe('GET /v1/schedules', () => {
  it('lists the scheduled pipelines with expression, zone, enabled flag, next fire and last run', async () => {
    const { id: projectId, key } = await newProject(api);
    const minutely = await newPipeline(api, key, { schedule: '* * * * *' });
    const paused = await newPipeline(api, key, { schedule: '0 3 * * *', timezone: 'Asia/Tokyo', scheduleEnabled: false });
    await newPipeline(api, key); // unscheduled: not listed

    const before = await api.call('GET', '/v1/schedules', { token: key });
    expect(before.status).toBe(200);
    expect(before.body).toEqual({
      items: [
        {
          pipelineId: minutely.id,
          pipelineName: minutely.name,
          expression: '* * * * *',
          timezone: 'UTC',
          enabled: true,
          nextRunAt: expect.any(String),
          lastRun: null,
        },
        { pipelineId: paused.id, pipelineName: paused.name, expression: '0 3 * * *', timezone: 'Asia/Tokyo', enabled: false, nextRunAt: null, lastRun: null },
      ],
      nextCursor: null,
    });

    const slot = nextMinute(new Date());
    const tick = await tickSchedules({ db: api.database.db, now: new Date(slot.getTime() + 5_000), projectId });
    expect(tick.fired.map((f) => f.pipelineId)).toEqual([minutely.id]);

    const after = await api.call('GET', '/v1/schedules?limit=1', { token: key });
    expect(after.body.items[0]).toMatchObject({
      pipelineId: minutely.id,
      lastRun: { id: tick.fired[0]!.runId, status: 'pending', scheduledFor: slot.toISOString(), missedSlots: 0 },
    });
    expect(after.body.nextCursor).toEqual(expect.any(String));
    const page2 = await api.call('GET', `/v1/schedules?limit=1&cursor=${encodeURIComponent(after.body.nextCursor)}`, { token: key });
    expect(page2.body.items.map((s: { pipelineId: string }) => s.pipelineId)).toEqual([paused.id]);

    // The run the schedule made, as the API shows it.
    const run = await api.call('GET', `/v1/runs/${tick.fired[0]!.runId}`, { token: key });
    expect(run.body).toMatchObject({ trigger: 'schedule', scheduledFor: slot.toISOString(), missedSlots: 0, version: 1 });
    const pipeline = await api.call('PATCH', `/v1/pipelines/${minutely.id}`, { token: key, body: { description: 'fired once' } });
    expect(pipeline.body.lastScheduledFor).toBe(slot.toISOString());
  });

  it("never lists another project's schedules", async () => {
    const owner = await newProject(api);
    const stranger = await newProject(api);
    await newPipeline(api, owner.key, { schedule: '0 3 * * *' });
    const res = await api.call('GET', '/v1/schedules', { token: stranger.key });
    expect(res.body).toEqual({ items: [], nextCursor: null });
  });
});
