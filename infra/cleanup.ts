/**
 * Scheduled cleanup (README, Deploying to AWS): an EventBridge Scheduler schedule (CronV2) invoking the cleanup
 * function. Every run wakes a paused cluster, so stages other than production run it only every
 * 6 hours and can sleep in between. PIPESTORE_CLEANUP_SCHEDULE overrides it (`rate(…)` or
 * `cron(…)`); retention settings come from the deploy environment (DLQ_RETENTION_DAYS,
 * RUN_RETENTION_DAYS, STALE_RUN_AFTER_S, PENDING_RUN_TIMEOUT_S). The function's timeout bounds its time budget.
 */
import { functionArgs, type DatabaseAccess } from './functions';
import type { createMigrator } from './migrator';

type ScheduleExpression = `rate(${string})` | `cron(${string})`;

/** Checked here so a typo fails the deploy with a clear message rather than in EventBridge. */
function scheduleExpression(value: string): ScheduleExpression {
  if (/^(rate|cron)\(.+\)$/.test(value.trim())) return value.trim() as ScheduleExpression;
  throw new Error(`PIPESTORE_CLEANUP_SCHEDULE: expected rate(…) or cron(…), got ${JSON.stringify(value)}`);
}

export function createCleanup({ database, after }: { database: DatabaseAccess; after?: ReturnType<typeof createMigrator>['invocation'] }) {
  const schedule = scheduleExpression(process.env.PIPESTORE_CLEANUP_SCHEDULE || ($app.stage === 'production' ? 'rate(15 minutes)' : 'rate(6 hours)'));
  // Updated only after this deploy's migrations ran, like the API: new cleanup code never meets an
  // old schema.
  const cleanupFunction = new sst.aws.Function(
    'CleanupFunction',
    {
      ...functionArgs('cleanup', database),
      description: 'pipestore: scheduled cleanup',
      memory: '512 MB',
      timeout: '5 minutes',
      link: [database.link],
    },
    after ? { dependsOn: [after] } : undefined,
  );
  // The scheduler invokes asynchronously, and Lambda itself retries a failed asynchronous invocation
  // twice whatever the schedule's retry policy says: a missed round is caught up by the next one,
  // and a retry would only overlap with it.
  new aws.lambda.FunctionEventInvokeConfig('CleanupInvokeConfig', { functionName: cleanupFunction.name, maximumRetryAttempts: 0 });
  const cleanup = new sst.aws.CronV2('Cleanup', {
    schedule,
    function: cleanupFunction.arn,
    // Scheduler fills in these placeholders; the handler logs them with its result.
    event: {
      source: 'pipestore.cleanup',
      scheduledTime: '<aws.scheduler.scheduled-time>',
      executionId: '<aws.scheduler.execution-id>',
      scheduleArn: '<aws.scheduler.schedule-arn>',
      attemptNumber: '<aws.scheduler.attempt-number>',
    },
    // The scheduler's own retries, off for the same reason.
    retries: 0,
  });
  return { cleanup, cleanupFunction, schedule };
}
