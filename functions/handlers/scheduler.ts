/**
 * Lambda entry of the schedule tick (infra/scheduler.ts: a CronV2 rate(1 minute) schedule). Thin:
 * the tick is core's tickSchedules, the same code `pipestore schedules tick` and `npm start` run.
 *
 * Its clock is the invocation's: EventBridge Scheduler delivers a minute late at worst, and the
 * tick fires the latest due slot whenever it runs, so a late or skipped invocation loses nothing
 * (the next one fires the slot and records what was missed). A manual invocation may pass `now`
 * (RFC 3339) and `dryRun`.
 */
import { z } from 'zod';
import { createDatabase } from '../../db/client';
import { tickSchedules } from '../core/schedules';
import { log } from '../log';
import { loadLambdaConfig } from './lambda-config';
import { scheduledHandler } from './scheduled';

/** The tick must finish well inside the function's timeout (a minute, the schedule's period). */
const DEADLINE_MS = 40_000;

const config = loadLambdaConfig();
const database = await createDatabase(config.database);

export const handler = scheduledHandler(
  'scheduler',
  { now: z.iso.datetime({ offset: true }).optional(), dryRun: z.boolean().optional() },
  async ({ event, logFields }) => {
    const result = await tickSchedules({ db: database.db, now: event.now ? new Date(event.now) : new Date(), dryRun: event.dryRun });
    const summary = { ...result, fired: result.fired.length };
    log.info('schedule tick', { ...summary, ...logFields });
    return summary;
  },
  { maxMs: DEADLINE_MS },
);
