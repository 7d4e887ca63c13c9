/**
 * Scheduled cleanup (DESIGN §7): an EventBridge Scheduler schedule (CronV2) invoking the cleanup
 * function. Every run wakes a paused cluster, so stages other than production run it only every
 * 6 hours and can sleep in between. PIPESTORE_CLEANUP_SCHEDULE overrides it (`rate(…)` or
 * `cron(…)`); retention settings come from the deploy environment (DLQ_RETENTION_DAYS,
 * RUN_RETENTION_DAYS, STALE_RUN_AFTER_S, PENDING_RUN_TIMEOUT_S). The function's timeout bounds its time budget.
 */
import { functionArgs, type Linkable } from './functions';

type ScheduleExpression = `rate(${string})` | `cron(${string})`;

/** Checked here so a typo fails the deploy with a clear message rather than in EventBridge. */
function scheduleExpression(value: string): ScheduleExpression {
  if (/^(rate|cron)\(.+\)$/.test(value.trim())) return value.trim() as ScheduleExpression;
  throw new Error(`PIPESTORE_CLEANUP_SCHEDULE: expected rate(…) or cron(…), got ${JSON.stringify(value)}`);
}

export function createCleanup({ database }: { database: Linkable }) {
  const schedule = scheduleExpression(
    process.env.PIPESTORE_CLEANUP_SCHEDULE || ($app.stage === 'production' ? 'rate(15 minutes)' : 'rate(6 hours)'),
  );
  const cleanup = new sst.aws.CronV2('Cleanup', {
    schedule,
    function: {
      ...functionArgs('cleanup'),
      description: 'pipestore: scheduled cleanup',
      memory: '512 MB',
      timeout: '5 minutes',
      link: [database],
    },
    // Scheduler fills in these placeholders; the handler logs them with its result.
    event: {
      source: 'pipestore.cleanup',
      scheduledTime: '<aws.scheduler.scheduled-time>',
      executionId: '<aws.scheduler.execution-id>',
      scheduleArn: '<aws.scheduler.schedule-arn>',
      attemptNumber: '<aws.scheduler.attempt-number>',
    },
    // A missed round is caught up by the next one; retrying would only overlap with it.
    retries: 0,
  });
  return { cleanup, schedule };
}
