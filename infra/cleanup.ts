/**
 * Scheduled cleanup (README, Deploying to AWS): the cleanup function, invoked on a schedule. Every
 * run wakes a paused cluster, so stages other than production run it only every 6 hours and can
 * sleep in between. PIPESTORE_CLEANUP_SCHEDULE overrides it (`rate(…)` or `cron(…)`); retention
 * settings come from the deploy environment (DLQ_RETENTION_DAYS, RUN_RETENTION_DAYS,
 * STALE_RUN_AFTER_S, PENDING_RUN_TIMEOUT_S). The function's timeout bounds its time budget.
 */
import { type ScheduleExpression, type ScheduledFunctionArgs, scheduledFunction } from './scheduled';

/** Checked here so a typo fails the deploy with a clear message rather than in EventBridge. */
function scheduleExpression(value: string): ScheduleExpression {
  if (/^(rate|cron)\(.+\)$/.test(value.trim())) return value.trim() as ScheduleExpression;
  throw new Error(`PIPESTORE_CLEANUP_SCHEDULE: expected rate(…) or cron(…), got ${JSON.stringify(value)}`);
}

export function createCleanup({ database, after }: Pick<ScheduledFunctionArgs, 'database' | 'after'>) {
  const schedule = scheduleExpression(process.env.PIPESTORE_CLEANUP_SCHEDULE || ($app.stage === 'production' ? 'rate(15 minutes)' : 'rate(6 hours)'));
  const { fn: cleanupFunction, cron: cleanup } = scheduledFunction('cleanup', {
    database,
    after,
    description: 'pipestore: scheduled cleanup',
    timeout: '5 minutes',
    schedule,
  });
  return { cleanup, cleanupFunction, schedule };
}
