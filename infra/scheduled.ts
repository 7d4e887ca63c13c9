/**
 * A function that an EventBridge Scheduler schedule (CronV2) invokes: the schedule tick and
 * cleanup. Both the function and its schedule are created only after this deploy's migrations ran
 * (`after`), like the API, so new code never meets an old schema.
 *
 * No retries anywhere: not Scheduler's (the schedule's `retries: 0`) and not Lambda's own for
 * asynchronous invocations (2 by default; the invoke config's `maximumRetryAttempts: 0`). A failed
 * round is caught up by the next one, and a retry would only overlap with it.
 */
import type { LambdaFunction } from './bundling';
import { functionArgs, type DatabaseAccess } from './functions';
import type { createMigrator } from './migrator';

export type ScheduleExpression = `rate(${string})` | `cron(${string})`;

export interface ScheduledFunctionArgs {
  database: DatabaseAccess;
  after?: ReturnType<typeof createMigrator>['invocation'];
  description: string;
  /** Bounds the function's time budget; inside the period, so that a round seldom overlaps the next. */
  timeout: `${number} ${'seconds' | 'minutes'}`;
  /** Undefined: the function without a schedule (nothing invokes it but people). */
  schedule: ScheduleExpression | undefined;
}

/** `<Name>Function` and its schedule `<Name>`, named after the handler (infra/bundling.ts). */
export function scheduledFunction(handler: LambdaFunction['name'], { database, after, description, timeout, schedule }: ScheduledFunctionArgs) {
  const name = handler.charAt(0).toUpperCase() + handler.slice(1);
  const gated = after ? { dependsOn: [after] } : undefined;
  const fn = new sst.aws.Function(
    `${name}Function`,
    {
      ...functionArgs(handler, database),
      description,
      memory: '512 MB',
      timeout,
      link: [database.link],
    },
    gated,
  );
  // A resource of its own rather than SST's `retries` option. Where a stack has that option's config
  // (a child of the function), the alias adopts it: left as a new resource plus a deleted one, the
  // delete would run last and take the function's only invoke config, and `retries: 0`, with it.
  new aws.lambda.FunctionEventInvokeConfig(
    `${name}InvokeConfig`,
    { functionName: fn.name, maximumRetryAttempts: 0 },
    { aliases: [{ name: `${name}FunctionEventInvokeConfig`, parent: fn }] },
  );
  const cron =
    schedule &&
    new sst.aws.CronV2(
      name,
      {
        schedule,
        function: fn,
        // Scheduler fills in these placeholders; the handler logs them with its result.
        event: {
          source: `pipestore.${handler}`,
          scheduledTime: '<aws.scheduler.scheduled-time>',
          executionId: '<aws.scheduler.execution-id>',
          scheduleArn: '<aws.scheduler.schedule-arn>',
          attemptNumber: '<aws.scheduler.attempt-number>',
        },
        retries: 0,
      },
      gated,
    );
  return { fn, cron };
}
