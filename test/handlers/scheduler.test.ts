/**
 * The bundled scheduler function (what SST deploys for infra/scheduler.ts), in its own `node`
 * process, invoked with the event its CronV2 schedule sends: it runs the tick on every driver a
 * deployment can use (the Data API always, node-postgres with TEST_DATABASE_URL).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { migrateDatabase } from '../../db/migrate';
import { pipelineRuns } from '../../db/schema';
import { lambdaFunction } from '../../infra/bundling';
import { bundleEntry, type BuiltFunction } from '../../infra/build';
import { HANDLER_BACKENDS, startBackend, type HandlerBackend } from './support/backends';
import { schedulerEvent } from './support/events';
import { lambdaEnv, startLambda, type LambdaProcess } from './support/lambda-process';
import { scheduleSince, scheduledProject } from '../schedules/support';

let outDir: string;
let bundle: BuiltFunction;

beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'pipestore-scheduler-'));
  bundle = await bundleEntry(lambdaFunction('scheduler').entry, outDir, 'scheduler');
});
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

/** What infra/scheduler.ts's CronV2 delivers once Scheduler filled in its placeholders. */
const tickEvent = (extra: Record<string, unknown> = {}) => ({
  ...schedulerEvent(extra),
  source: 'pipestore.scheduler',
  scheduleArn: 'arn:aws:scheduler:us-east-1:123456789012:schedule/default/pipestore-production-SchedulerSchedule',
});

describe.each(HANDLER_BACKENDS)('the bundled scheduler on %s', (backendName) => {
  let backend: HandlerBackend;
  let lambda: LambdaProcess | undefined;

  beforeAll(async () => {
    backend = await startBackend(backendName, 'scheduler');
    await migrateDatabase(backend.database);
  });
  afterAll(async () => {
    await lambda?.stop();
    await backend?.teardown();
  });

  it('fires the due slots of a Scheduler event, once however often it is delivered', { timeout: 120_000 }, async () => {
    const { db } = backend.database;
    const p = await scheduledProject(db);
    const minutely = await p.pipeline('* * * * *');
    const paused = await p.pipeline('* * * * *', { scheduleEnabled: false });
    // Both took effect two minutes ago: the latest minute is due, the one before it was missed.
    const since = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 90_000);
    for (const id of [minutely.id, paused.id]) await scheduleSince(db, id, since);

    lambda = await startLambda(bundle.file, lambdaEnv('pipestore-scheduler', backend.env), outDir);
    const first = await lambda.invoke<{ now: string; fired: number; complete: boolean; dryRun: boolean }>(tickEvent(), { timeoutMs: 60_000 });
    expect(first).toMatchObject({ fired: 1, complete: true, dryRun: false });
    // Scheduler delivers at least once: a second delivery of the same minute creates nothing. The
    // redelivery carries the first tick's clock, since a wall-clock second tick may fall in the next
    // minute, whose slot is rightly due.
    expect(await lambda.invoke(tickEvent({ now: first.now }))).toMatchObject({ fired: 0 });

    const runs = await db
      .select({
        pipelineId: pipelineRuns.pipelineId,
        trigger: pipelineRuns.trigger,
        scheduledFor: pipelineRuns.scheduledFor,
        missedSlots: pipelineRuns.missedSlots,
      })
      .from(pipelineRuns)
      .where(eq(pipelineRuns.projectId, p.projectId));
    expect(runs).toHaveLength(1);
    expect(runs[0]).toMatchObject({ pipelineId: minutely.id, trigger: 'schedule' });
    expect(runs[0]!.missedSlots).toBeGreaterThanOrEqual(1);

    // A manual invocation with its own clock and a dry run: reported, not written.
    const later = new Date(Date.now() + 10 * 60_000).toISOString();
    expect(await lambda.invoke(tickEvent({ now: later, dryRun: true }))).toMatchObject({ fired: 1, dryRun: true });
    expect(await db.select().from(pipelineRuns).where(eq(pipelineRuns.projectId, p.projectId))).toHaveLength(1);

    await vi.waitFor(() => expect(lambda!.output()).toMatch(/"msg":"schedule tick".*"executionId":"[0-9a-f-]+"/));
    await expect(lambda.invoke({ now: 'tomorrow' })).rejects.toThrow(/unexpected event: now/);
  });
});
