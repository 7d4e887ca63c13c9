/**
 * Schedules as their own view: the scheduled pipelines of a project with expression, zone, pause
 * switch, next fire time and last scheduled run (GET /v1/schedules, `pipestore schedules list`, the
 * console), and pause/resume. The tick itself is schedule-tick.ts.
 */
import { and, asc, desc, eq, inArray, isNotNull, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client';
import { type RunStatus, pipelineRuns, pipelines } from '../../db/schema';
import { cronFor } from './cron';
import { afterCursor, decodeCursor, pageSize, toPage, type Page, type PageRequest } from './pagination';
import { nextRunAt, updatePipeline } from './pipelines';

export { tickSchedules, type TickInput, type TickResult, type FiredSlot } from './schedule-tick';

/** The newest scheduled run of each pipeline: one probe of the (pipeline_id, scheduled_for) unique index. */
const lastRun = (db: DbOrTx) =>
  db
    .select({
      runId: pipelineRuns.id,
      runStatus: pipelineRuns.status,
      runScheduledFor: pipelineRuns.scheduledFor,
      runCreatedAt: pipelineRuns.createdAt,
      runMissedSlots: pipelineRuns.missedSlots,
    })
    .from(pipelineRuns)
    // Qualified by hand: Drizzle leaves a single-table subquery's columns bare, and a bare "id"
    // here would be the run's.
    .where(and(sql`"pipeline_runs"."pipeline_id" = "pipelines"."id"`, isNotNull(pipelineRuns.scheduledFor)))
    .orderBy(desc(pipelineRuns.scheduledFor))
    .limit(1)
    .as('last_run');

type ScheduleRow = Pick<
  typeof pipelines.$inferSelect,
  'id' | 'name' | 'schedule' | 'timezone' | 'scheduleEnabled' | 'scheduleSince' | 'scheduleNextAt' | 'createdAt'
> & {
  runId: string | null;
  runStatus: RunStatus | null;
  runScheduledFor: Date | null;
  runCreatedAt: Date | null;
  runMissedSlots: number | null;
};

export const toSchedule = (row: ScheduleRow, now = new Date()) => ({
  pipelineId: row.id,
  pipelineName: row.name,
  expression: row.schedule!,
  timezone: row.timezone,
  enabled: row.scheduleEnabled,
  nextRunAt: nextRunAt(row, now)?.toISOString() ?? null,
  lastRun: row.runId
    ? {
        id: row.runId,
        status: row.runStatus!,
        scheduledFor: row.runScheduledFor!.toISOString(),
        missedSlots: row.runMissedSlots ?? 0,
        createdAt: row.runCreatedAt!.toISOString(),
      }
    : null,
});
export type Schedule = ReturnType<typeof toSchedule>;

/**
 * The project's scheduled pipelines (paused ones included), oldest pipeline first, keyset-paged;
 * with `pipelineIds`, only those of them (the console asks for the pipelines on its page).
 */
export async function listSchedules({
  db,
  input,
}: {
  db: DbOrTx;
  input: PageRequest & { projectId: string; pipelineIds?: string[] };
}): Promise<Page<Schedule>> {
  if (input.pipelineIds?.length === 0) return { items: [], nextCursor: null };
  const limit = pageSize(input);
  const position = input.cursor ? decodeCursor('schedules', input.cursor) : undefined;
  const last = lastRun(db);
  const rows = await db
    .select({
      id: pipelines.id,
      name: pipelines.name,
      schedule: pipelines.schedule,
      timezone: pipelines.timezone,
      scheduleEnabled: pipelines.scheduleEnabled,
      scheduleSince: pipelines.scheduleSince,
      scheduleNextAt: pipelines.scheduleNextAt,
      createdAt: pipelines.createdAt,
      runId: last.runId,
      runStatus: last.runStatus,
      runScheduledFor: last.runScheduledFor,
      runCreatedAt: last.runCreatedAt,
      runMissedSlots: last.runMissedSlots,
    })
    .from(pipelines)
    .leftJoinLateral(last, sql`true`)
    .where(
      and(
        eq(pipelines.projectId, input.projectId),
        isNotNull(pipelines.schedule),
        input.pipelineIds && inArray(pipelines.id, input.pipelineIds),
        afterCursor(pipelines, position, 'asc'),
      ),
    )
    .orderBy(asc(pipelines.createdAt), asc(pipelines.id))
    .limit(limit + 1);
  const now = new Date();
  return toPage('schedules', rows, limit, (row) => toSchedule(row, now));
}

/**
 * The next `count` fire times of an enabled schedule, the first being its nextRunAt (which honours
 * the tick's stored slot and when the schedule took effect); none while paused.
 */
export function upcomingRuns(schedule: Pick<Schedule, 'expression' | 'timezone' | 'nextRunAt'>, count: number): Date[] {
  if (!schedule.nextRunAt || count < 1) return [];
  const first = new Date(schedule.nextRunAt);
  return [first, ...cronFor(schedule.expression, schedule.timezone).nextRuns(count - 1, first)];
}

/** Pauses a pipeline's schedule; the expression stays. Returns the pipeline. */
export const pauseSchedule = ({ db, input }: { db: DbOrTx; input: { projectId: string; id: string; ifMatch?: number } }) =>
  updatePipeline({ db, input: { ...input, patch: { scheduleEnabled: false } } });

/** Resumes it: slots that passed while paused do not fire (they are not "missed"). */
export const resumeSchedule = ({ db, input }: { db: DbOrTx; input: { projectId: string; id: string; ifMatch?: number } }) =>
  updatePipeline({ db, input: { ...input, patch: { scheduleEnabled: true } } });
