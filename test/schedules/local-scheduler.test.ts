/**
 * The tick inside `npm start` (functions/local/scheduler.ts): on unless SCHEDULER=off, a tick at
 * start and then every period, and a stop that waits for the tick in progress. On a database of
 * its own: this scheduler ticks every project, as the server's does.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { migrateDatabase } from '../../db/migrate';
import { loadConfig } from '../../functions/config';
import { startLocalScheduler } from '../../functions/local/scheduler';
import { FRESH_DATABASES, type FreshDatabase } from '../support/fresh-databases';
import { scheduledProject } from './support';

let subject: FreshDatabase;
beforeAll(async () => {
  subject = await FRESH_DATABASES.pglite('local_scheduler');
  await migrateDatabase(subject.database);
});
afterAll(() => subject?.teardown());

describe('SCHEDULER', () => {
  it('is on by default and with "on", off with "off", and names itself when it is anything else', () => {
    const enabled = (env: Record<string, string>) => loadConfig(env).localScheduler;
    expect(enabled({})).toBe(true);
    expect(enabled({ SCHEDULER: 'on' })).toBe(true);
    expect(enabled({ SCHEDULER: 'OFF' })).toBe(false);
    expect(() => enabled({ SCHEDULER: 'sometimes' })).toThrow(/SCHEDULER: expected "on" or "off"/);
  });

  it('off: nothing ticks', async () => {
    const p = await scheduledProject(subject.database.db);
    await p.pipeline('* * * * *', { since: new Date(Date.now() - 120_000) });
    expect(startLocalScheduler(subject.database, { enabled: false, periodMs: 20 })).toBeUndefined();
    await new Promise((r) => setTimeout(r, 200));
    expect(await p.runs()).toEqual([]);
  });
});

describe('the in-process scheduler', () => {
  it('ticks at start, fires the due slot once across later ticks, and stops cleanly', async () => {
    const p = await scheduledProject(subject.database.db);
    const pipeline = await p.pipeline('* * * * *', { since: new Date(Date.now() - 120_000) });
    const scheduler = startLocalScheduler(subject.database, { enabled: true, periodMs: 50 })!;
    try {
      await vi.waitFor(async () => expect((await p.runs()).length).toBeGreaterThanOrEqual(1), { timeout: 10_000 });
      await new Promise((r) => setTimeout(r, 300)); // several more ticks within the same minute (usually)
    } finally {
      await scheduler.stop();
    }
    const runs = await p.runs();
    // One run per minute slot, however many ticks ran in it.
    expect(new Set(runs.map((r) => r.scheduledFor)).size).toBe(runs.length);
    expect(runs.every((r) => r.pipelineId === pipeline.id && r.trigger === 'schedule')).toBe(true);
  });
});
