import { and, desc, eq, getTableColumns, inArray, sql } from 'drizzle-orm';
import { type DbOrTx, recoverable } from '../../db/client';
import { ForeignKeyViolationError, NotNullViolationError, asDatabaseError } from '../../db/errors';
import { LIVE_STATUSES, type RunStatus, type RunTrigger, TERMINAL_RUN_STATUSES, pipelineRuns, pipelines, pipelineVersions, taskRuns } from '../../db/schema';
import { NotFoundError, rejectedTransition } from './errors';
import { newId } from './ids';
import { jsonText, runStatement, updateShape } from './statements';
import { toRun } from './run-views';
import { decodeCursor, keysetAfter, pageSize, toPage, type PageRequest } from './pagination';

/** Which statuses a run may be in for it to move to each target (README, "Runs, task runs, registry, dead-letter queue"). */
const RUN_TRANSITIONS: Record<Exclude<RunStatus, 'pending'>, readonly RunStatus[]> = {
  running: ['pending'],
  succeeded: ['running'],
  failed: ['running'],
  timed_out: ['running'],
  cancelled: ['pending', 'running'],
};

// Raw and fully qualified on purpose: Drizzle leaves columns unqualified in single-table
// statements, and inside a subquery an unqualified `id` would mean pipeline_versions.id.
const versionNumber = sql<number>`(select v.number from pipeline_versions v where v.id = "pipeline_runs"."version_id")`.mapWith(Number).as('version_number');
const runWithVersion = { ...getTableColumns(pipelineRuns), version: versionNumber };

/**
 * Creates a pending run pinned to the active version, or to the named one. One statement: the
 * version id comes from a subquery scoped to the project, and when it finds nothing the NOT NULL
 * constraint rejects the row, which we then explain as a 404.
 */
export async function createRun({
  db,
  input,
}: {
  db: DbOrTx;
  /** `trigger` says who asked: the API by default, the console's "Trigger run" says 'console'. */
  input: { projectId: string; pipelineId: string; version?: number; input?: unknown; trigger?: RunTrigger };
}) {
  const { projectId, pipelineId } = input;
  const named = input.version !== undefined;
  const values = {
    id: newId('run'),
    projectId,
    pipelineId,
    version: input.version ?? null,
    input: jsonText(input.input),
    trigger: input.trigger ?? 'api',
  };
  try {
    // Recoverable: inside an Idempotency-Key transaction the explanation below still runs.
    const [row] = await recoverable(db, (db) =>
      runStatement(db, named ? 'run_create_named_version' : 'run_create', values, (db, p) =>
        db
          .insert(pipelineRuns)
          .values({
            id: p.id,
            projectId: p.projectId,
            pipelineId: p.pipelineId,
            versionId: named
              ? sql`(select v.id from pipeline_versions v where v.pipeline_id = ${p.pipelineId} and v.project_id = ${p.projectId} and v.number = ${p.version}::int)`
              : sql`(select p.active_version_id from pipelines p where p.id = ${p.pipelineId} and p.project_id = ${p.projectId})`,
            input: sql`${p.input}::jsonb`,
            trigger: sql`${p.trigger}`,
          })
          .returning(runWithVersion),
      ),
    );
    return toRun(row!);
  } catch (err) {
    const typed = asDatabaseError(err);
    if (!(typed instanceof NotNullViolationError) && !(typed instanceof ForeignKeyViolationError)) throw err;
    const [pipeline] = await db
      .select({ id: pipelines.id })
      .from(pipelines)
      .where(and(eq(pipelines.id, pipelineId), eq(pipelines.projectId, projectId)));
    if (!pipeline) throw new NotFoundError('pipeline', pipelineId);
    throw new NotFoundError('version', String(input.version));
  }
}

export async function getRun({ db, input }: { db: DbOrTx; input: { projectId: string; runId: string } }) {
  const [row] = await db
    .select(runWithVersion)
    .from(pipelineRuns)
    .where(and(eq(pipelineRuns.id, input.runId), eq(pipelineRuns.projectId, input.projectId)));
  if (!row) throw new NotFoundError('run', input.runId);
  return toRun(row);
}

/** Newest first, keyset on (created_at, id) descending, optionally filtered by status. */
export async function listRuns({ db, input }: { db: DbOrTx; input: PageRequest & { projectId: string; pipelineId: string; status?: RunStatus } }) {
  const limit = pageSize(input);
  const position = input.cursor ? decodeCursor('runs', input.cursor) : undefined;
  const values = {
    projectId: input.projectId,
    pipelineId: input.pipelineId,
    status: input.status ?? null,
    afterCreatedAt: position?.createdAt.toISOString() ?? null,
    afterId: position?.id ?? null,
    limit: limit + 1,
  };
  // Every page of every run list: prepared per combination of filter and cursor.
  const shape = `run_list${input.status ? '_by_status' : ''}${position ? '_after' : ''}`;
  const rows = await runStatement(db, shape, values, (db, p, bound) =>
    db
      .select(runWithVersion)
      .from(pipelineRuns)
      .where(
        and(
          eq(pipelineRuns.pipelineId, p.pipelineId),
          eq(pipelineRuns.projectId, p.projectId),
          input.status ? eq(pipelineRuns.status, p.status) : undefined,
          position ? keysetAfter(pipelineRuns, p.afterCreatedAt, p.afterId, 'desc') : undefined,
        ),
      )
      .orderBy(desc(pipelineRuns.createdAt), desc(pipelineRuns.id))
      .limit(bound.limit),
  );
  if (rows.length === 0) {
    // An empty page must still tell an unknown pipeline (404) from one without (more) runs, with a
    // cursor too: a cursor from another pipeline's list must not make an unknown id look empty.
    const [pipeline] = await db
      .select({ id: pipelines.id })
      .from(pipelines)
      .where(and(eq(pipelines.id, input.pipelineId), eq(pipelines.projectId, input.projectId)));
    if (!pipeline) throw new NotFoundError('pipeline', input.pipelineId);
  }
  return toPage('runs', rows, limit, toRun);
}

export interface RunPatch {
  status?: Exclude<RunStatus, 'pending'>;
  currentStage?: string | null;
  /** Merged into stage_results key by key (top level), not replaced. */
  stageResults?: Record<string, unknown>;
  output?: unknown;
  error?: unknown;
}

/**
 * One conditional UPDATE: the WHERE clause holds the allowed source statuses (and the If-Match
 * revision), so two racing transitions can never both apply; the loser matches nothing.
 */
export async function updateRun({ db, input }: { db: DbOrTx; input: { projectId: string; runId: string; ifMatch?: number; patch: RunPatch } }) {
  const { patch } = input;
  const target = patch.status;
  const sources = target ? RUN_TRANSITIONS[target] : LIVE_STATUSES;
  const terminal = target !== undefined && TERMINAL_RUN_STATUSES.includes(target);
  const sets = {
    currentStage: patch.currentStage !== undefined,
    stageResults: patch.stageResults !== undefined,
    output: patch.output !== undefined,
    error: patch.error !== undefined,
  };
  const checksRevision = input.ifMatch !== undefined;
  const values = {
    id: input.runId,
    projectId: input.projectId,
    revision: input.ifMatch ?? null,
    currentStage: patch.currentStage ?? null,
    stageResults: jsonText(patch.stageResults),
    output: jsonText(patch.output),
    error: jsonText(patch.error),
  };
  const shape = updateShape('run', target, sets, checksRevision);
  const [row] = await runStatement(db, shape, values, (db, p) =>
    db
      .update(pipelineRuns)
      .set({
        ...(target && { status: target }),
        ...(target === 'running' && { startedAt: sql`coalesce(${pipelineRuns.startedAt}, now())`, heartbeatAt: sql`now()` }),
        ...(terminal && { completedAt: sql`now()` }),
        ...(sets.currentStage && { currentStage: p.currentStage }),
        ...(sets.stageResults && { stageResults: sql`${pipelineRuns.stageResults} || ${p.stageResults}::jsonb` }),
        ...(sets.output && { output: sql`${p.output}::jsonb` }),
        ...(sets.error && { error: sql`${p.error}::jsonb` }),
        revision: sql`${pipelineRuns.revision} + 1`,
        updatedAt: sql`now()`,
      })
      .where(
        and(
          eq(pipelineRuns.id, p.id),
          eq(pipelineRuns.projectId, p.projectId),
          inArray(pipelineRuns.status, [...sources]),
          checksRevision ? sql`${pipelineRuns.revision} = ${p.revision}::int` : undefined,
        ),
      )
      .returning(runWithVersion),
  );
  if (row) return toRun(row);
  return explainRejectedUpdate(db, input, target);
}

/** After an update matched nothing: 404, 412 (stale If-Match) or 409 (illegal from here). */
async function explainRejectedUpdate(db: DbOrTx, input: { projectId: string; runId: string; ifMatch?: number }, target: RunStatus | undefined): Promise<never> {
  const [current] = await db
    .select({ status: pipelineRuns.status, revision: pipelineRuns.revision })
    .from(pipelineRuns)
    .where(and(eq(pipelineRuns.id, input.runId), eq(pipelineRuns.projectId, input.projectId)));
  return rejectedTransition('run', input.runId, current, input.ifMatch, target);
}

/** Liveness only: does not bump the revision, so it never invalidates a client's ETag. */
export async function heartbeatRun({ db, input }: { db: DbOrTx; input: { projectId: string; runId: string } }) {
  const [row] = await db
    .update(pipelineRuns)
    .set({ heartbeatAt: sql`now()` })
    .where(and(eq(pipelineRuns.id, input.runId), eq(pipelineRuns.projectId, input.projectId), eq(pipelineRuns.status, 'running')))
    .returning({ id: pipelineRuns.id, status: pipelineRuns.status, heartbeatAt: pipelineRuns.heartbeatAt });
  if (row) return { id: row.id, status: row.status, heartbeatAt: row.heartbeatAt!.toISOString() };
  return explainRejectedUpdate(db, input, undefined);
}

/** Cancels the run and, in the same transaction, its task runs that have not finished. */
export async function cancelRun({ db, input }: { db: DbOrTx; input: { projectId: string; runId: string; ifMatch?: number; reason?: unknown } }) {
  return db.transaction(async (tx) => {
    const run = await updateRun({
      db: tx,
      input: { ...input, patch: { status: 'cancelled', ...(input.reason !== undefined && { error: input.reason }) } },
    });
    await tx
      .update(taskRuns)
      .set({ status: 'cancelled', completedAt: sql`now()`, revision: sql`${taskRuns.revision} + 1`, updatedAt: sql`now()` })
      .where(and(eq(taskRuns.runId, input.runId), eq(taskRuns.projectId, input.projectId), inArray(taskRuns.status, LIVE_STATUSES)));
    return run;
  });
}

/** The run (project-scoped) with its pinned definition, for task-run validation. */
export async function getRunWithDefinition(db: DbOrTx, projectId: string, runId: string) {
  const [row] = await db
    .select({ status: pipelineRuns.status, definition: pipelineVersions.definition })
    .from(pipelineRuns)
    .innerJoin(pipelineVersions, eq(pipelineVersions.id, pipelineRuns.versionId))
    .where(and(eq(pipelineRuns.id, runId), eq(pipelineRuns.projectId, projectId)));
  if (!row) throw new NotFoundError('run', runId);
  return row;
}
