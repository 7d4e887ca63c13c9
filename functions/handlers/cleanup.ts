/**
 * Lambda entry of the scheduled cleanup (infra/cleanup.ts: a CronV2 schedule). The time budget is
 * what is left of this invocation minus a margin for logging and returning; work that does not fit
 * is left for the next scheduled run (the result says `complete: false`).
 *
 * The event is whatever the schedule sends: infra/ sends EventBridge Scheduler's context
 * (scheduled time, execution id), a classic EventBridge rule sends a "Scheduled Event"; both are
 * accepted, and a manual invocation may add `dryRun` or `batchSize`.
 */
import { z } from 'zod';
import { createDatabase } from '../../db/client';
import { runCleanup, type CleanupResult } from '../core/cleanup';
import { loadLambdaConfig, retryWhileUnavailable, type LambdaContextLike } from './config';

/** Kept back from the remaining time: the last batch's commit, the log line, the response. */
export const SAFETY_MARGIN_MS = 5_000;

// Envelope fields (EventBridge's `detail-type`, `resources`, Scheduler's placeholders) pass through.
const eventSchema = z
  .object({
    dryRun: z.boolean().optional(),
    batchSize: z.number().int().min(1).max(10_000).optional(),
    scheduledTime: z.string().optional(),
    executionId: z.string().optional(),
    time: z.string().optional(),
    id: z.string().optional(),
  })
  .loose();

const config = loadLambdaConfig();
const database = await createDatabase(config.database);

export async function handler(event: unknown, context: LambdaContextLike): Promise<CleanupResult> {
  const parsed = eventSchema.safeParse(event ?? {});
  if (!parsed.success) throw new Error(`cleanup: unexpected event: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  const e = parsed.data;
  const invocationStarted = Date.now();
  const budgetMs = Math.max(0, context.getRemainingTimeInMillis() - SAFETY_MARGIN_MS);
  const logFields = {
    scheduledTime: e.scheduledTime ?? e.time ?? null,
    executionId: e.executionId ?? e.id ?? null,
    requestId: context.awsRequestId ?? null,
  };
  return retryWhileUnavailable(
    () =>
      runCleanup({
        db: database.db,
        input: {
          dlqRetentionDays: config.dlqRetentionDays,
          runRetentionDays: config.runRetentionDays,
          staleRunAfterSeconds: config.staleRunAfterSeconds,
          pendingRunTimeoutSeconds: config.pendingRunTimeoutSeconds,
          // A resume wait spends the same budget.
          budgetMs: Math.max(0, budgetMs - (Date.now() - invocationStarted)),
          batchSize: e.batchSize,
          dryRun: e.dryRun,
        },
        logFields,
      }),
    { deadline: invocationStarted + budgetMs },
  );
}
