/**
 * What the Lambda entries run by a schedule (the schedule tick, the cleanup) share: the event
 * check, the fields that say which scheduled execution this was, and waiting for a database that
 * is waking up within what is left of the invocation, or ending cleanly when it is still not up
 * (database-wait.ts). Each entry says only what its work is.
 *
 * The event is whatever the schedule sends: infra/ sends EventBridge Scheduler's context
 * (scheduled time, execution id), a classic EventBridge rule sends a "Scheduled Event"; both are
 * accepted, envelope fields (`detail-type`, `resources`, …) pass through, and a manual invocation
 * may add the entry's own fields.
 */
import { z } from 'zod';
import { issueReasons } from '../core/field-errors';
import type { LambdaContextLike } from './lambda-config';
import { retryOrReportUnavailable, type DatabaseUnavailableOutcome, type DatabaseWaits } from './database-wait';

/** Kept back from the remaining time: the last batch's commit, the log line, the response. */
export const SAFETY_MARGIN_MS = 5_000;

const envelope = {
  scheduledTime: z.string().optional(),
  executionId: z.string().optional(),
  time: z.string().optional(),
  id: z.string().optional(),
};

export interface Invocation<Event> {
  event: Event;
  /** Which scheduled execution this is, for the log line. */
  logFields: { scheduledTime: string | null; executionId: string | null; requestId: string | null };
  /** Time left for the work, counted from now: a wait for the database spends it too. */
  remainingMs(): number;
}

export function scheduledHandler<Fields extends z.ZodRawShape, Result extends object>(
  name: string,
  fields: Fields,
  work: (invocation: Invocation<z.infer<z.ZodObject<Fields>>>) => Promise<Result>,
  { maxMs = Number.POSITIVE_INFINITY }: { maxMs?: number } = {},
) {
  const eventSchema = z.object({ ...fields, ...envelope }).loose();
  return async function handler(event: unknown, context: LambdaContextLike): Promise<(Result & DatabaseWaits) | DatabaseUnavailableOutcome> {
    const parsed = eventSchema.safeParse(event ?? {});
    if (!parsed.success) throw new Error(`${name}: unexpected event: ${issueReasons(parsed.error.issues).join('; ')}`);
    const e = parsed.data as z.infer<z.ZodObject<Fields>> & { [K in keyof typeof envelope]?: string };
    const started = Date.now();
    const budgetMs = Math.min(maxMs, Math.max(0, context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS));
    const invocation: Invocation<typeof e> = {
      event: e,
      logFields: {
        scheduledTime: e.scheduledTime ?? e.time ?? null,
        executionId: e.executionId ?? e.id ?? null,
        requestId: context.awsRequestId ?? null,
      },
      remainingMs: () => Math.max(0, budgetMs - (Date.now() - started)),
    };
    return retryOrReportUnavailable(name, () => work(invocation), { deadline: started + budgetMs, logFields: invocation.logFields });
  };
}
