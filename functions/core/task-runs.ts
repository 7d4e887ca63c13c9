import { and, asc, eq, getTableColumns, inArray, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client';
import { UniqueViolationError, asDatabaseError } from '../../db/errors';
import { type TaskRunStatus, dlq, taskRuns } from '../../db/schema';
import { NotFoundError, PreconditionFailedError, StateConflictError, ValidationError } from './errors';
import { newId } from './ids';
import { afterCursor, decodeCursor, pageSize, toPage, type PageRequest } from './pagination';
import { TERMINAL_RUN_STATUSES, getRunWithDefinition } from './runs';

const TERMINAL_TASK_STATUSES: readonly TaskRunStatus[] = ['succeeded', 'failed', 'skipped', 'cancelled'];
const LIVE_TASK_STATUSES: readonly TaskRunStatus[] = ['pending', 'running'];

/**
 * Allowed source statuses per target (DESIGN §4). A pending task may also be skipped or
 * cancelled without ever running (its upstream failed, its run was cancelled).
 */
const TASK_TRANSITIONS: Record<Exclude<TaskRunStatus, 'pending'>, readonly TaskRunStatus[]> = {
  running: ['pending'],
  succeeded: ['running'],
  failed: ['running'],
  skipped: ['pending', 'running'],
  cancelled: ['pending', 'running'],
};

/** When the registry does not know the task, it gets the registry's default budget. */
export const DEFAULT_MAX_ATTEMPTS = 3;

type TaskRunRow = typeof taskRuns.$inferSelect;

export const toTaskRun = (row: TaskRunRow) => ({
  id: row.id,
  runId: row.runId,
  stageId: row.stageId,
  taskId: row.taskId,
  taskName: row.taskName,
  attempt: row.attempt,
  status: row.status,
  progress: row.progress,
  messages: row.messages,
  input: row.input,
  output: row.output,
  error: row.error,
  startedAt: row.startedAt?.toISOString() ?? null,
  completedAt: row.completedAt?.toISOString() ?? null,
  heartbeatAt: row.heartbeatAt?.toISOString() ?? null,
  revision: row.revision,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});
export type TaskRun = ReturnType<typeof toTaskRun>;

/** Starts a task run of a live run; the stage and task must exist in the run's pinned definition. */
export async function startTaskRun({
  db,
  input,
}: {
  db: DbOrTx;
  input: {
    projectId: string;
    runId: string;
    stageId: string;
    taskId: string;
    attempt?: number;
    status?: 'pending' | 'running';
    input?: unknown;
  };
}) {
  const run = await getRunWithDefinition(db, input.projectId, input.runId);
  if (TERMINAL_RUN_STATUSES.includes(run.status)) {
    throw new StateConflictError('run_finished', `the run is ${run.status}: no new task runs`, { currentStatus: run.status });
  }
  const stageIndex = run.definition.stages.findIndex((s) => s.id === input.stageId);
  if (stageIndex < 0) throw new ValidationError('unknown stage', [{ path: 'stageId', message: `the run's version has no stage "${input.stageId}"` }]);
  const task = run.definition.stages[stageIndex]!.tasks?.find((t) => t.id === input.taskId);
  if (!task) {
    throw new ValidationError('unknown task', [{ path: 'taskId', message: `stage "${input.stageId}" has no task "${input.taskId}"` }]);
  }
  const running = input.status === 'running';
  try {
    const [row] = await db
      .insert(taskRuns)
      .values({
        id: newId('taskRun'),
        projectId: input.projectId,
        runId: input.runId,
        stageId: input.stageId,
        taskId: input.taskId,
        taskName: task.task,
        attempt: input.attempt ?? 1,
        status: running ? 'running' : 'pending',
        input: input.input ?? null,
        ...(running && { startedAt: sql`now()`, heartbeatAt: sql`now()` }),
      })
      .returning();
    return toTaskRun(row!);
  } catch (err) {
    if (asDatabaseError(err) instanceof UniqueViolationError) {
      throw new StateConflictError('attempt_exists', `attempt ${input.attempt ?? 1} of ${input.stageId}/${input.taskId} already exists`);
    }
    throw err;
  }
}

export async function listTaskRuns({
  db,
  input,
}: {
  db: DbOrTx;
  input: PageRequest & { projectId: string; runId: string };
}) {
  const limit = pageSize(input);
  const position = input.cursor ? decodeCursor('task-runs', input.cursor) : undefined;
  const rows = await db
    .select()
    .from(taskRuns)
    .where(and(eq(taskRuns.runId, input.runId), eq(taskRuns.projectId, input.projectId), afterCursor(taskRuns, position, 'asc')))
    .orderBy(asc(taskRuns.createdAt), asc(taskRuns.id))
    .limit(limit + 1);
  if (rows.length === 0 && !position) await getRunWithDefinition(db, input.projectId, input.runId);
  return toPage('task-runs', rows, limit, toTaskRun);
}

export interface TaskRunPatch {
  status?: Exclude<TaskRunStatus, 'pending'>;
  progress?: number;
  /** Appended to the task run's messages. */
  messages?: string[];
  output?: unknown;
  error?: unknown;
}

// The registry's budget for this task, read in the same UPDATE … RETURNING (raw and qualified:
// see the note on versionNumber in runs.ts).
const maxAttempts = sql<number>`coalesce((select t.max_attempts from tasks t where t.project_id = "task_runs"."project_id" and t.id = "task_runs"."task_name"), ${DEFAULT_MAX_ATTEMPTS})`
  .mapWith(Number)
  .as('max_attempts');

/**
 * One conditional UPDATE, like runs. A failure that exhausts the task's attempts writes its DLQ
 * entry in the same transaction, so a task can never fail for good without being dead-lettered.
 */
export async function updateTaskRun({
  db,
  input,
}: {
  db: DbOrTx;
  input: { projectId: string; taskRunId: string; ifMatch?: number; patch: TaskRunPatch };
}) {
  const { patch } = input;
  const target = patch.status;
  const write = async (tx: DbOrTx) => {
    const [row] = await tx
      .update(taskRuns)
      .set({
        ...(target && { status: target }),
        ...(target === 'running' && { startedAt: sql`coalesce(${taskRuns.startedAt}, now())` }),
        ...(target && TERMINAL_TASK_STATUSES.includes(target) && { completedAt: sql`now()` }),
        ...(patch.progress !== undefined && { progress: patch.progress }),
        ...(target === 'succeeded' && patch.progress === undefined && { progress: 1 }),
        ...(patch.messages?.length && { messages: sql`${taskRuns.messages} || ${JSON.stringify(patch.messages)}::jsonb` }),
        ...(patch.output !== undefined && { output: patch.output }),
        ...(patch.error !== undefined && { error: patch.error }),
        heartbeatAt: sql`now()`,
        revision: sql`${taskRuns.revision} + 1`,
        updatedAt: sql`now()`,
      })
      .where(
        and(
          eq(taskRuns.id, input.taskRunId),
          eq(taskRuns.projectId, input.projectId),
          inArray(taskRuns.status, [...(target ? TASK_TRANSITIONS[target] : LIVE_TASK_STATUSES)]),
          input.ifMatch === undefined ? undefined : eq(taskRuns.revision, input.ifMatch),
        ),
      )
      .returning({ ...getTableColumns(taskRuns), maxAttempts });
    if (!row) return explainRejectedTaskUpdate(tx, input, target);
    const { maxAttempts: budget, ...taskRun } = row;
    if (target === 'failed' && taskRun.attempt >= budget) {
      await tx
        .insert(dlq)
        .values({
          id: newId('dlq'),
          projectId: input.projectId,
          runId: taskRun.runId,
          taskRunId: taskRun.id,
          payload: { stageId: taskRun.stageId, taskId: taskRun.taskId, taskName: taskRun.taskName, input: taskRun.input },
          error: taskRun.error,
          attempts: taskRun.attempt,
        })
        .onConflictDoNothing({ target: dlq.taskRunId });
    }
    return toTaskRun(taskRun);
  };
  // Only a failure may need the second write; everything else is a single statement.
  return target === 'failed' ? db.transaction((tx) => write(tx)) : write(db);
}

async function explainRejectedTaskUpdate(
  db: DbOrTx,
  input: { projectId: string; taskRunId: string; ifMatch?: number },
  target: TaskRunStatus | undefined,
): Promise<never> {
  const [current] = await db
    .select({ status: taskRuns.status, revision: taskRuns.revision })
    .from(taskRuns)
    .where(and(eq(taskRuns.id, input.taskRunId), eq(taskRuns.projectId, input.projectId)));
  if (!current) throw new NotFoundError('task run', input.taskRunId);
  if (input.ifMatch !== undefined && current.revision !== input.ifMatch) throw new PreconditionFailedError(current.revision);
  throw new StateConflictError(
    'illegal_transition',
    target ? `a task run cannot go from ${current.status} to ${target}` : `a ${current.status} task run can no longer be updated`,
    { currentStatus: current.status, ...(target && { requestedStatus: target }) },
  );
}
