/**
 * Lambda entry of the scheduled cleanup (infra/cleanup.ts: a CronV2 schedule). The time budget is
 * what is left of this invocation minus a margin for logging and returning; work that does not fit
 * is left for the next scheduled run (the result says `complete: false`). A manual invocation may
 * add `dryRun` or `batchSize`.
 */
import { z } from 'zod';
import { createDatabase } from '../../db/client';
import { runCleanup } from '../core/cleanup';
import { loadLambdaConfig } from './lambda-config';
import { scheduledHandler } from './scheduled';

const config = loadLambdaConfig();
const database = await createDatabase(config.database);

export const handler = scheduledHandler(
  'cleanup',
  { dryRun: z.boolean().optional(), batchSize: z.number().int().min(1).max(10_000).optional() },
  ({ event, logFields, remainingMs }) =>
    runCleanup({
      db: database.db,
      input: {
        dlqRetentionDays: config.dlqRetentionDays,
        runRetentionDays: config.runRetentionDays,
        staleRunAfterSeconds: config.staleRunAfterSeconds,
        pendingRunTimeoutSeconds: config.pendingRunTimeoutSeconds,
        budgetMs: remainingMs(),
        batchSize: event.batchSize,
        dryRun: event.dryRun,
      },
      logFields,
    }),
);
