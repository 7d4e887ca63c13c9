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
import { tickSchedules, type TickResult } from '../core/schedules';
import { log } from '../log';
import { loadLambdaConfig, retryWhileUnavailable, type LambdaContextLike } from './config';

/** The tick must finish well inside the function's timeout (a minute, the schedule's period). */
const DEADLINE_MS = 40_000;

// Envelope fields (Scheduler's placeholders, a classic rule's `detail-type`) pass through.
const eventSchema = z
  .object({
    now: z.iso.datetime({ offset: true }).optional(),
    dryRun: z.boolean().optional(),
    scheduledTime: z.string().optional(),
    executionId: z.string().optional(),
    time: z.string().optional(),
    id: z.string().optional(),
  })
  .loose();

const config = loadLambdaConfig();
const database = await createDatabase(config.database);

export async function handler(event: unknown, context: LambdaContextLike): Promise<Omit<TickResult, 'fired'> & { fired: number }> {
  const parsed = eventSchema.safeParse(event ?? {});
  if (!parsed.success) throw new Error(`scheduler: unexpected event: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const e = parsed.data;
  const started = Date.now();
  const result = await retryWhileUnavailable(() => tickSchedules({ db: database.db, now: e.now ? new Date(e.now) : new Date(), dryRun: e.dryRun }), {
    deadline: started + Math.min(DEADLINE_MS, Math.max(0, context.getRemainingTimeInMillis() - 5_000)),
  });
  const summary = { ...result, fired: result.fired.length };
  log.info('schedule tick', {
    ...summary,
    scheduledTime: e.scheduledTime ?? e.time ?? null,
    executionId: e.executionId ?? e.id ?? null,
    requestId: context.awsRequestId ?? null,
  });
  return summary;
}
