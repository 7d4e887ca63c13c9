/**
 * Schedules in the console (over app.request): the schedule, its zone, next fire times and latest
 * slot on the pipelines list and the pipeline page, and Pause / Resume as CSRF-protected forms over
 * core's pauseSchedule / resumeSchedule.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { tickSchedules } from '../../functions/core/schedules';
import { newPipeline, testApi, type TestApi } from '../support/api';
import { signedIn } from './support';

let api: TestApi;
beforeAll(async () => {
  api = await testApi();
});

const scheduleOf = async (key: string, pipelineId: string) => {
  const res = await api.call('GET', '/v1/schedules', { token: key });
  expect(res.status).toBe(200);
  return res.body.items.find((s: { pipelineId: string }) => s.pipelineId === pipelineId);
};

/** The schedule column of the pipeline's row on the list page. */
const rowOf = (html: string, name: string) => {
  const row = new RegExp(`<tr data-pipeline="${name}">([\\s\\S]*?)</tr>`).exec(html);
  expect(row, name).not.toBeNull();
  return row![1]!;
};

describe('schedules in the console', () => {
  it('shows cron, zone, next fire time and the latest slot with its missed slots, on the list and the pipeline page', async () => {
    const { browser, project } = await signedIn(api);
    const pipeline = await newPipeline(api, project.key, { schedule: '*/5 * * * *', timezone: 'Europe/Berlin' });
    await newPipeline(api, project.key, { name: `plain-${pipeline.name}` });
    // A tick 16 minutes on: the latest slot fires, the earlier ones since creation are missed.
    const tick = await tickSchedules({ db: api.database.db, now: new Date(Date.now() + 16 * 60_000), projectId: project.id });
    expect(tick.fired).toHaveLength(1);
    const schedule = await scheduleOf(project.key, pipeline.id);
    expect(schedule.lastRun.missedSlots).toBeGreaterThan(0);

    const list = await browser.get('/console');
    const row = rowOf(list.html, pipeline.name);
    expect(row).toContain('data-schedule-state="active"');
    expect(row).toContain('<code>*/5 * * * *</code>');
    expect(row).toContain('Europe/Berlin');
    expect(row).toContain(`data-next-run="${schedule.nextRunAt}"`);
    expect(row).toContain(`${schedule.lastRun.missedSlots} missed`);
    expect(row).toMatch(/<button type="submit"[^>]*>Pause<\/button>/);
    expect(rowOf(list.html, `plain-${pipeline.name}`)).not.toContain('data-schedule-state');

    const page = await browser.get(`/console/pipelines/${pipeline.name}`);
    expect(page.html).toContain('<h2 id="schedule">Schedule</h2>');
    expect(page.html).toContain(`data-next-run="${schedule.nextRunAt}"`);
    // Five upcoming slots, each in the schedule's own zone (CET or CEST), UTC on hover.
    const slots = /<ol class="slots"[^>]*>([\s\S]*?)<\/ol>/.exec(page.html)![1]!;
    expect(slots.match(/<li>/g)).toHaveLength(5);
    expect(slots).toMatch(/<time datetime="[^"]+Z" title="[^"]+ UTC">[^<]+ CES?T<\/time>/);
    expect(page.html).toContain(`data-last-slot="${schedule.lastRun.scheduledFor}"`);
    expect(page.html).toContain(`href="/console/runs/${schedule.lastRun.id}"`);
    expect(page.html).toContain(`${schedule.lastRun.missedSlots} missed before it`);
    expect(page.html).toContain(`href="/console/runs?pipeline=${pipeline.name}&amp;trigger=schedule"`);

    const unscheduled = await browser.get(`/console/pipelines/plain-${pipeline.name}`);
    expect(unscheduled.html).toContain('No schedule.');
    expect(unscheduled.html).not.toContain('/schedule/pause');
  });

  it('pauses from the list and resumes from the pipeline page: both pages and GET /v1/schedules follow', async () => {
    const { browser, project } = await signedIn(api);
    const pipeline = await newPipeline(api, project.key, { schedule: '0 3 * * *', timezone: 'America/New_York' });
    const listView = `/console?q=${pipeline.name}`;
    await browser.get(listView);
    const paused = await browser.post(`/console/pipelines/${pipeline.name}/schedule/pause`, { back: listView });
    expect(paused.status).toBe(303);
    expect(paused.location).toBe(`${listView}&notice=schedule-paused`);
    expect(await scheduleOf(project.key, pipeline.id)).toMatchObject({ enabled: false, nextRunAt: null });
    expect((await api.call('GET', `/v1/pipelines/${pipeline.id}`, { token: project.key })).body.scheduleEnabled).toBe(false);

    const list = await browser.get(paused.location!);
    expect(list.html).toContain('Schedule paused');
    const row = rowOf(list.html, pipeline.name);
    expect(row).toContain('data-schedule-state="paused"');
    expect(row).not.toContain('data-next-run');
    expect(row).toMatch(/>Resume<\/button>/);
    const page = await browser.get(`/console/pipelines/${pipeline.name}`);
    expect(page.html).toContain('data-schedule-state="paused"');
    expect(page.html).toContain('none while paused');
    expect(page.html).toContain('(paused)');

    const resumed = await browser.post(`/console/pipelines/${pipeline.name}/schedule/resume`, { back: `/console/pipelines/${pipeline.name}` });
    expect(resumed.location).toBe(`/console/pipelines/${pipeline.name}?notice=schedule-resumed`);
    const after = await scheduleOf(project.key, pipeline.id);
    expect(after.enabled).toBe(true);
    expect(Date.parse(after.nextRunAt)).toBeGreaterThan(Date.now());
    const again = await browser.get(resumed.location!);
    expect(again.html).toContain('Schedule resumed');
    expect(again.html).toContain('data-schedule-state="active"');
    expect(again.html).toContain(`data-next-run="${after.nextRunAt}"`);
    expect(again.html).toMatch(/>Pause<\/button>/);
  });

  it('goes back only to a console page, and says so when there is no schedule to pause', async () => {
    const { browser, project } = await signedIn(api);
    const scheduled = await newPipeline(api, project.key, { schedule: '@hourly' });
    await browser.get('/console');
    for (const back of ['//evil.example/', 'https://evil.example/console', '/console/../evil']) {
      const res = await browser.post(`/console/pipelines/${scheduled.name}/schedule/pause`, { back });
      expect(res.location, back).toBe(`/console/pipelines/${scheduled.name}?notice=schedule-paused`);
    }
    const plain = await newPipeline(api, project.key);
    const none = await browser.post(`/console/pipelines/${plain.name}/schedule/pause`, {});
    expect(none.location).toBe(`/console/pipelines/${plain.name}?notice=schedule-none`);
    expect((await api.call('GET', `/v1/pipelines/${plain.id}`, { token: project.key })).body.scheduleEnabled).toBe(true);
  });

  it('refuses a pause without the CSRF token or from another origin, and changes nothing', async () => {
    const { browser, project } = await signedIn(api);
    const pipeline = await newPipeline(api, project.key, { schedule: '@daily' });
    await browser.get(`/console/pipelines/${pipeline.name}`);
    const noToken = await browser.post(`/console/pipelines/${pipeline.name}/schedule/pause`, {}, { csrf: false });
    expect(noToken.status).toBe(403);
    const foreign = await browser.post(`/console/pipelines/${pipeline.name}/schedule/pause`, {}, { origin: 'https://evil.example' });
    expect(foreign.status).toBe(403);
    expect((await scheduleOf(project.key, pipeline.id)).enabled).toBe(true);
  });

  it("gives another project's pipeline the console's 404 page, and its schedule stays as it was", async () => {
    const owner = await signedIn(api);
    const other = await signedIn(api);
    const pipeline = await newPipeline(api, owner.project.key, { schedule: '@daily' });
    await other.browser.get('/console');
    for (const ref of [pipeline.name, pipeline.id]) {
      const res = await other.browser.post(`/console/pipelines/${ref}/schedule/pause`, {});
      expect(res.status, ref).toBe(404);
      expect(res.html).toContain('Not found');
    }
    expect((await other.browser.get('/console')).html).not.toContain(pipeline.name);
    expect((await scheduleOf(owner.project.key, pipeline.id)).enabled).toBe(true);
  });
});
