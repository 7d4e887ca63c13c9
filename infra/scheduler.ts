/**
 * The schedule tick (README "Schedules"): the scheduler function, invoked every minute, fires the
 * pipelines' due schedule slots (core's tickSchedules). A failed tick is caught up by the next one
 * a minute later, which fires the latest slot and records the missed ones. PIPESTORE_SCHEDULER=off
 * deploys without the schedule (nothing fires; the function stays for manual invocations).
 */
import { type ScheduledFunctionArgs, scheduledFunction } from './scheduled';

export const SCHEDULER_RATE = 'rate(1 minute)' as const;

export function createScheduler({ database, after }: Pick<ScheduledFunctionArgs, 'database' | 'after'>) {
  const schedule = process.env.PIPESTORE_SCHEDULER !== 'off' ? SCHEDULER_RATE : undefined;
  const { fn: schedulerFunction, cron: scheduler } = scheduledFunction('scheduler', {
    database,
    after,
    description: 'pipestore: fires due pipeline schedules (every minute)',
    timeout: '55 seconds',
    schedule,
  });
  return { scheduler, schedulerFunction, schedule: schedule ?? 'off' };
}
