/**
 * `pipestore schedules tick|list` (the CLI's main() in this process), on a fresh embedded store and (with
 * TEST_DATABASE_URL) a scratch PostgreSQL database. `--now` is the tick's clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../../db/client';
import { migrateDatabase } from '../../db/migrate';
import { scheduledProject } from '../schedules/support';
import { type CliTarget, cliTargets } from './support/targets';
import { jsonOf } from './support/run-cli';

const targets = cliTargets('cli_schedules');

describe.each(targets)('pipestore schedules on %s', { timeout: 120_000 }, (_, makeTarget) => {
  let target: CliTarget;
  let projectId: string;
  let minutely: { id: string; name: string };
  let daily: { id: string; name: string };
  afterAll(() => target?.drop());

  const withDb = <T>(fn: (database: Database) => Promise<T>) => target.withDb(fn);
  const cli = (...args: string[]) => target.cli(...args);

  beforeAll(async () => {
    target = await makeTarget();
    await withDb(async (database) => {
      await migrateDatabase(database);
      const p = await scheduledProject(database.db);
      projectId = p.projectId;
      minutely = await p.pipeline('* * * * *', { since: new Date('2030-01-01T09:59:30Z') });
      daily = await p.pipeline('0 6 * * *', { timezone: 'Europe/Berlin', since: new Date('2030-01-01T09:59:30Z') });
    });
  });

  it('tick --dry-run --now reports the due slot and creates nothing; tick --now fires it once', async () => {
    const dry = await cli('--json', 'schedules', 'tick', '--now', '2030-01-01T10:00:05Z', '--dry-run');
    expect(dry.code).toBe(0);
    expect(jsonOf(dry)).toMatchObject({
      dryRun: true,
      now: '2030-01-01T10:00:05.000Z',
      fired: [{ pipelineId: minutely.id, scheduledFor: '2030-01-01T10:00:00.000Z', runId: null }],
    });

    const fired = await cli('--json', 'schedules', 'tick', '--now', '2030-01-01T10:00:05Z');
    expect(jsonOf(fired)).toMatchObject({
      dryRun: false,
      complete: true,
      fired: [{ pipelineId: minutely.id, missedSlots: 0, runId: expect.stringMatching(/^run_/) }],
    });
    const again = await cli('--json', 'schedules', 'tick', '--now', '2030-01-01T10:00:05Z');
    expect(jsonOf(again).fired).toEqual([]);

    const human = await cli('schedules', 'tick', '--now', '2030-01-01T13:00:05+00:00', '--project', projectId);
    expect(human.code).toBe(0);
    expect(human.stdout).toContain(`${minutely.id}  2030-01-01T13:00:00.000Z  (179 missed)`);
  });

  it('list shows each scheduled pipeline with its zone, state, next fire and last run', async () => {
    const listed = await cli('--json', 'schedules', 'list', '--project', projectId);
    expect(listed.code).toBe(0);
    expect(jsonOf(listed).items).toEqual([
      expect.objectContaining({
        pipelineId: minutely.id,
        expression: '* * * * *',
        timezone: 'UTC',
        enabled: true,
        lastRun: expect.objectContaining({ scheduledFor: '2030-01-01T13:00:00.000Z', missedSlots: 179 }),
      }),
      expect.objectContaining({ pipelineId: daily.id, expression: '0 6 * * *', timezone: 'Europe/Berlin', enabled: true, lastRun: null }),
    ]);
    const human = await cli('schedules', 'list', '--project', projectId);
    expect(human.stdout).toMatch(new RegExp(`${daily.name}\\s+0 6 \\* \\* \\*\\s+Europe/Berlin\\s+enabled\\s+next \\S+Z\\s+never fired`));
  });

  it('refuses a clock without a zone, and an unknown project', async () => {
    const bad = await cli('schedules', 'tick', '--now', '2030-01-01 10:00');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--now: expected an RFC 3339 time with a zone/);
    const unknown = await cli('schedules', 'list', '--project', 'proj_nope');
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toMatch(/project proj_nope does not exist/);
  });
});
