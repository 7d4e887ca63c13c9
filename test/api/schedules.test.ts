/**
 * Schedules through the API: a pipeline's schedule with its time zone and pause switch, what its
 * responses say about the next and last fire, GET /v1/schedules, and bad input named by field.
 */
import { describe, expect, it } from 'vitest';
import type { components } from '../../functions/client/generated/openapi';
import { tickSchedules } from '../../functions/core/schedules';
import { definePipeline } from '../../functions/sdk';
import { newPipeline, newProject, simpleDefinition, type TypedClient, withId } from '../support/api';
import { test } from '../support/fixtures';

const nextMinute = (from: Date) => new Date(Math.floor(from.getTime() / 60_000) * 60_000 + 60_000);

describe('a pipeline schedule', () => {
  test('takes a time zone and a pause switch, and shows when it fires next', async ({ api, project: { key, client } }) => {
    const created = await newPipeline(api, key, { schedule: '0 9 * * *', timezone: 'Europe/Berlin' });
    expect(created).toMatchObject({ schedule: '0 9 * * *', timezone: 'Europe/Berlin', scheduleEnabled: true, lastScheduledFor: null });
    // 09:00 in Berlin is 07:00 or 08:00 UTC, within the next day.
    const next = new Date(created.nextRunAt ?? '');
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect(next.getTime() - Date.now()).toBeLessThanOrEqual(24 * 3600_000);
    expect([7, 8]).toContain(next.getUTCHours());

    const paused = await client.PATCH('/v1/pipelines/{id}', { ...withId(created.id), body: { scheduleEnabled: false } });
    expect(paused.response.status).toBe(200);
    expect(paused.data).toMatchObject({ schedule: '0 9 * * *', scheduleEnabled: false, nextRunAt: null });
    const resumed = await client.PATCH('/v1/pipelines/{id}', { ...withId(created.id), body: { scheduleEnabled: true, timezone: 'UTC' } });
    expect(resumed.data).toMatchObject({ scheduleEnabled: true, timezone: 'UTC' });
    expect(new Date(resumed.data?.nextRunAt ?? '').getUTCHours()).toBe(9);
  });

  test('defaults to UTC, enabled; a pipeline without a schedule has no next run', async ({ api, project: { key } }) => {
    expect(await newPipeline(api, key)).toMatchObject({ schedule: null, timezone: 'UTC', scheduleEnabled: true, nextRunAt: null });
  });

  const create = (client: TypedClient, body: Partial<components['schemas']['CreatePipeline']>) =>
    client.POST('/v1/pipelines', { body: { name: 'bad-schedule', definition: simpleDefinition(), ...body } });

  test.for([['Mars/Olympus_Mons'], ['CEST'], ['+01:00'], ['']])(
    'an unknown time zone %j is a 400 naming timezone',
    async ([timezone], { project: { client } }) => {
      const res = await create(client, { schedule: '0 3 * * *', timezone });
      expect(res.response.status).toBe(400);
      expect(res.error?.errors?.map((e) => e.path)).toEqual(['timezone']);
    },
  );

  test.for([['*/10 * * * * *'], ['0 0 3 * * * 2030']])(
    'a seconds (or years) cron %j is refused: at most once a minute',
    async ([schedule], { project: { client } }) => {
      const res = await create(client, { schedule });
      expect(res.response.status).toBe(400);
      expect(res.error?.errors).toEqual([{ path: 'schedule', message: expect.stringContaining('seconds are not supported') }]);
    },
  );

  test('PATCH checks the same: a bad zone is a 400 naming timezone', async ({ api, project: { key, client } }) => {
    const pipeline = await newPipeline(api, key, { schedule: '0 3 * * *' });
    const res = await client.PATCH('/v1/pipelines/{id}', { ...withId(pipeline.id), body: { timezone: 'Nowhere/Special' } });
    expect(res.response.status).toBe(400);
    expect(res.error?.errors?.map((e) => e.path)).toEqual(['timezone']);
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
  test('lists the scheduled pipelines with expression, zone, enabled flag, next fire and last run', async ({
    api,
    project: { id: projectId, key, client },
  }) => {
    const minutely = await newPipeline(api, key, { schedule: '* * * * *' });
    const paused = await newPipeline(api, key, { schedule: '0 3 * * *', timezone: 'Asia/Tokyo', scheduleEnabled: false });
    await newPipeline(api, key); // unscheduled: not listed

    const before = await client.GET('/v1/schedules');
    expect(before.response.status).toBe(200);
    expect(before.data).toEqual({
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

    const after = await client.GET('/v1/schedules', { params: { query: { limit: 1 } } });
    expect(after.data!.items[0]).toMatchObject({
      pipelineId: minutely.id,
      lastRun: { id: tick.fired[0]!.runId, status: 'pending', scheduledFor: slot.toISOString(), missedSlots: 0 },
    });
    expect(after.data!.nextCursor).toEqual(expect.any(String));
    const page2 = await client.GET('/v1/schedules', { params: { query: { limit: 1, cursor: after.data!.nextCursor! } } });
    expect(page2.data!.items.map((s) => s.pipelineId)).toEqual([paused.id]);

    // The run the schedule made, as the API shows it.
    const run = await client.GET('/v1/runs/{id}', withId(tick.fired[0]!.runId!));
    expect(run.data).toMatchObject({ trigger: 'schedule', scheduledFor: slot.toISOString(), missedSlots: 0, version: 1 });
    const pipeline = await client.PATCH('/v1/pipelines/{id}', { ...withId(minutely.id), body: { description: 'fired once' } });
    expect(pipeline.data?.lastScheduledFor).toBe(slot.toISOString());
  });

  test("never lists another project's schedules", async ({ api, project: owner }) => {
    const stranger = await newProject(api);
    await newPipeline(api, owner.key, { schedule: '0 3 * * *' });
    const res = await api.client(stranger.key).GET('/v1/schedules');
    expect(res.data).toEqual({ items: [], nextCursor: null });
  });
});
