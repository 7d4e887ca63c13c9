/**
 * The schedule tick (README "Schedules"): an EventBridge Scheduler schedule (CronV2) invoking the
 * scheduler function every minute, which fires the pipelines' due schedule slots (core's
 * tickSchedules). Like the API function, it is created only after this deploy's migrations ran
 * (`after`), so the tick never meets an old schema.
 *
 * No retries anywhere: not Scheduler's (`retries: 0`) and not Lambda's own for asynchronous
 * invocations (the function's `retries: 0`, default 2). A failed tick is caught up by the next one a
 * minute later, which fires the latest slot and records the missed ones; a retry would only race it.
 * PIPESTORE_SCHEDULER=off deploys without the schedule (nothing fires; the function stays for
 * manual invocations).
 */
import { functionArgs, type DatabaseAccess } from './functions';
import type { createMigrator } from './migrator';

export const SCHEDULER_RATE = 'rate(1 minute)' as const;

export function createScheduler({ database, after }: { database: DatabaseAccess; after?: ReturnType<typeof createMigrator>['invocation'] }) {
  const gated = after ? { dependsOn: [after] } : undefined;
  const schedulerFunction = new sst.aws.Function(
    'SchedulerFunction',
    {
      ...functionArgs('scheduler', database),
      description: 'pipestore: fires due pipeline schedules (every minute)',
      memory: '512 MB',
      // Inside the period: a tick never overlaps the next one for long.
      timeout: '55 seconds',
      link: [database.link],
      retries: 0,
    },
    gated,
  );
  const enabled = process.env.PIPESTORE_SCHEDULER !== 'off';
  const scheduler = enabled
    ? new sst.aws.CronV2(
        'Scheduler',
        {
          schedule: SCHEDULER_RATE,
          function: schedulerFunction,
          // Scheduler fills in these placeholders; the handler logs them with its result.
          event: {
            source: 'pipestore.scheduler',
            scheduledTime: '<aws.scheduler.scheduled-time>',
            executionId: '<aws.scheduler.execution-id>',
            scheduleArn: '<aws.scheduler.schedule-arn>',
            attemptNumber: '<aws.scheduler.attempt-number>',
          },
          retries: 0,
        },
        gated,
      )
    : undefined;
  return { scheduler, schedulerFunction, schedule: enabled ? SCHEDULER_RATE : 'off' };
}
