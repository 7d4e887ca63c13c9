import { and, asc, eq, getTableColumns, inArray, sql } from 'drizzle-orm';
import { type DbOrTx, recoverable } from '../../db/client';
import { NotNullViolationError, UniqueViolationError, asDatabaseError } from '../../db/errors';
import { DEFAULT_MAX_ATTEMPTS, LIVE_STATUSES, TERMINAL_RUN_STATUSES, TERMINAL_TASK_RUN_STATUSES, type TaskRunStatus, dlq, taskRuns } from '../../db/schema';
import { StateConflictError, ValidationError, rejectedTransition } from './errors';
import { newId } from './ids';
import { afterCursor, decodeCursor, pageSize, toPage, type PageRequest } from './pagination';
import { type StatementParams, jsonText, runStatement, updateShape } from './statements';
import { getRunWithDefinition } from './runs';
import { toTaskRun } from './run-views';

/**
 * Allowed source statuses per target (README, "Runs, task runs, registry, dead-letter queue"). A
 * pending task may also be skipped or cancelled without ever running (its upstream failed, its
 * run was cancelled).
 */
const TASK_TRANSITIONS: Record<Exclude<TaskRunStatus, 'pending'>, readonly TaskRunStatus[]> = {
  running: ['pending'],
  succeeded: ['running'],
  failed: ['running'],
  skipped: ['pending', 'running'],
  cancelled: ['pending', 'running'],
};

// Where (stage, task) is in a definition, as a jsonpath over the definition's JSON.
const TASK_IN_DEFINITION = `'$.stages[*] ? (@.id == $stage).tasks[*] ? (@.id == $task)'`;
// Literals, not parameters: the statement text (and its prepared plan) stays the same.
const LIVE_STATUS_LIST = sql.raw(LIVE_STATUSES.map((status) => `'${status}'`).join(', '));

type StartParams = StatementParams<{ projectId: unknown; runId: unknown; stageId: unknown; taskId: unknown }>;
const taskPathVars = (p: StartParams) => sql`jsonb_build_object('stage', ${p.stageId}::text, 'task', ${p.taskId}::text)`;

// The run's id only when it is live in this project and its pinned definition has the task;
// NULL otherwise, which the NOT NULL constraint on run_id turns into a rejected insert. Raw and
// qualified: see the note on versionNumber in runs.ts.
const runIdIfTaskStartable = (p: StartParams) => sql`(
  select r.id from pipeline_runs r join pipeline_versions v on v.id = r.version_id
  where r.id = ${p.runId} and r.project_id = ${p.projectId} and r.status in (${LIVE_STATUS_LIST})
    and jsonb_path_exists(v.definition, ${sql.raw(TASK_IN_DEFINITION)}, ${taskPathVars(p)}))`;

// The registry task it runs: the task's `task` in the same definition.
const taskNameInRun = (p: StartParams) => sql`(
  select jsonb_path_query_first(v.definition, ${sql.raw(TASK_IN_DEFINITION)}, ${taskPathVars(p)}) ->> 'task'
  from pipeline_runs r join pipeline_versions v on v.id = r.version_id where r.id = ${p.runId})`;

/**
 * Starts a task run of a live run; the stage and task must exist in the run's pinned definition.
 * One statement, like createRun: the run id comes from a subquery that checks the run and its
 * definition, and when it finds nothing the NOT NULL constraint rejects the row, which we then
 * explain with a second query.
 */
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
  const running = input.status === 'running';
  const attempt = input.attempt ?? 1;
  const values = {
    id: newId('taskRun'),
    projectId: input.projectId,
    runId: input.runId,
    stageId: input.stageId,
    taskId: input.taskId,
    attempt,
    input: jsonText(input.input),
  };
  try {
    // Recoverable: inside an Idempotency-Key transaction the explanation below still runs.
    const [row] = await recoverable(db, (db) =>
      runStatement(db, running ? 'task_run_start_running' : 'task_run_start_pending', values, (db, p) =>
        db
          .insert(taskRuns)
          .values({
            id: p.id,
            projectId: p.projectId,
            runId: runIdIfTaskStartable(p),
            stageId: p.stageId,
            taskId: p.taskId,
            taskName: taskNameInRun(p),
            attempt: sql`${p.attempt}::int`,
            status: running ? 'running' : 'pending',
            input: sql`${p.input}::jsonb`,
            ...(running && { startedAt: sql`now()`, heartbeatAt: sql`now()` }),
          })
          .returning(),
      ),
    );
    return toTaskRun(row!);
  } catch (err) {
    const typed = asDatabaseError(err);
    if (typed instanceof UniqueViolationError) {
      throw new StateConflictError('attempt_exists', `attempt ${attempt} of ${input.stageId}/${input.taskId} already exists`);
    }
    if (typed instanceof NotNullViolationError) await explainRejectedStart(db, input);
    throw err;
  }
}

/** After a start found no task: 404 (run), 409 (run finished) or 400 (no such stage or task). */
async function explainRejectedStart(db: DbOrTx, input: { projectId: string; runId: string; stageId: string; taskId: string }) {
  const run = await getRunWithDefinition(db, input.projectId, input.runId);
  if (TERMINAL_RUN_STATUSES.includes(run.status)) {
    throw new StateConflictError('run_finished', `the run is ${run.status}: no new task runs`, { currentStatus: run.status });
  }
  const stage = run.definition.stages.find((s) => s.id === input.stageId);
  if (!stage) throw new ValidationError('unknown stage', [{ path: 'stageId', message: `the run's version has no stage "${input.stageId}"` }]);
  if (!stage.tasks?.some((t) => t.id === input.taskId)) {
    throw new ValidationError('unknown task', [{ path: 'taskId', message: `stage "${input.stageId}" has no task "${input.taskId}"` }]);
  }
}

export async function listTaskRuns({ db, input }: { db: DbOrTx; input: PageRequest & { projectId: string; runId: string } }) {
  const limit = pageSize(input);
  const position = input.cursor ? decodeCursor('task-runs', input.cursor) : undefined;
  const rows = await db
    .select()
    .from(taskRuns)
    .where(and(eq(taskRuns.runId, input.runId), eq(taskRuns.projectId, input.projectId), afterCursor(taskRuns, position, 'asc')))
    .orderBy(asc(taskRuns.createdAt), asc(taskRuns.id))
    .limit(limit + 1);
  // An empty page tells an unknown run (404) from one without (more) task runs, cursor or not.
  if (rows.length === 0) await getRunWithDefinition(db, input.projectId, input.runId);
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
const maxAttempts =
  sql<number>`coalesce((select t.max_attempts from tasks t where t.project_id = "task_runs"."project_id" and t.id = "task_runs"."task_name"), ${DEFAULT_MAX_ATTEMPTS})`
    .mapWith(Number)
    .as('max_attempts');

/**
 * One conditional UPDATE, like runs. A failure that exhausts the task's attempts writes its DLQ
 * entry in the same transaction, so a task can never fail for good without being dead-lettered.
 */
export async function updateTaskRun({ db, input }: { db: DbOrTx; input: { projectId: string; taskRunId: string; ifMatch?: number; patch: TaskRunPatch } }) {
  const { patch } = input;
  const target = patch.status;
  const sets = {
    progress: patch.progress !== undefined,
    messages: Boolean(patch.messages?.length),
    output: patch.output !== undefined,
    error: patch.error !== undefined,
  };
  const checksRevision = input.ifMatch !== undefined;
  const values = {
    id: input.taskRunId,
    projectId: input.projectId,
    revision: input.ifMatch ?? null,
    progress: patch.progress ?? null,
    messages: jsonText(patch.messages),
    output: jsonText(patch.output),
    error: jsonText(patch.error),
  };
  const shape = updateShape('task_run', target, sets, checksRevision);
  const write = async (tx: DbOrTx) => {
    const [row] = await runStatement(tx, shape, values, (db, p) =>
      db
        .update(taskRuns)
        .set({
          ...(target && { status: target }),
          ...(target === 'running' && { startedAt: sql`coalesce(${taskRuns.startedAt}, now())` }),
          ...(target && TERMINAL_TASK_RUN_STATUSES.includes(target) && { completedAt: sql`now()` }),
          ...(sets.progress && { progress: sql`${p.progress}::float8` }),
          ...(target === 'succeeded' && !sets.progress && { progress: 1 }),
          ...(sets.messages && { messages: sql`${taskRuns.messages} || ${p.messages}::jsonb` }),
          ...(sets.output && { output: sql`${p.output}::jsonb` }),
          ...(sets.error && { error: sql`${p.error}::jsonb` }),
          heartbeatAt: sql`now()`,
          revision: sql`${taskRuns.revision} + 1`,
          updatedAt: sql`now()`,
        })
        .where(
          and(
            eq(taskRuns.id, p.id),
            eq(taskRuns.projectId, p.projectId),
            inArray(taskRuns.status, [...(target ? TASK_TRANSITIONS[target] : LIVE_STATUSES)]),
            checksRevision ? sql`${taskRuns.revision} = ${p.revision}::int` : undefined,
          ),
        )
        .returning({ ...getTableColumns(taskRuns), maxAttempts }),
    );
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
  return rejectedTransition('task run', input.taskRunId, current, input.ifMatch, target);
}
