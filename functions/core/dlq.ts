import { and, desc, eq, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client';
import { dlq, taskRuns } from '../../db/schema';
import { NotFoundError } from './errors';
import { newId } from './ids';
import { afterCursor, decodeCursor, pageSize, toPage, type PageRequest } from './pagination';
import { toTaskRun } from './run-views';

type DlqRow = typeof dlq.$inferSelect;

export const toDlqEntry = (row: DlqRow) => ({
  id: row.id,
  runId: row.runId,
  taskRunId: row.taskRunId,
  payload: row.payload,
  error: row.error,
  attempts: row.attempts,
  failedAt: row.failedAt.toISOString(),
  replayedAt: row.replayedAt?.toISOString() ?? null,
  replayTaskRunId: row.replayTaskRunId,
  revision: row.revision,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

const scoped = (projectId: string, id: string) => and(eq(dlq.id, id), eq(dlq.projectId, projectId));

/** Newest first. */
export async function listDlq({ db, input }: { db: DbOrTx; input: PageRequest & { projectId: string } }) {
  const limit = pageSize(input);
  const position = input.cursor ? decodeCursor('dlq', input.cursor) : undefined;
  const rows = await db
    .select()
    .from(dlq)
    .where(and(eq(dlq.projectId, input.projectId), afterCursor(dlq, position, 'desc')))
    .orderBy(desc(dlq.createdAt), desc(dlq.id))
    .limit(limit + 1);
  return toPage('dlq', rows, limit, toDlqEntry);
}

export async function getDlqEntry({ db, input }: { db: DbOrTx; input: { projectId: string; id: string } }) {
  const [row] = await db.select().from(dlq).where(scoped(input.projectId, input.id));
  if (!row) throw new NotFoundError('dlq entry', input.id);
  return toDlqEntry(row);
}

/**
 * Creates the next attempt of the dead-lettered task as a pending task run and marks the entry.
 * The entry's row lock makes replay idempotent: a second replay, concurrent or later, returns the
 * task run the first one created (`created: false`).
 */
export async function replayDlqEntry({ db, input }: { db: DbOrTx; input: { projectId: string; id: string } }) {
  return db.transaction(async (tx) => {
    const [entry] = await tx.select().from(dlq).where(scoped(input.projectId, input.id)).for('update');
    if (!entry) throw new NotFoundError('dlq entry', input.id);
    if (entry.replayTaskRunId) {
      const [existing] = await tx.select().from(taskRuns).where(eq(taskRuns.id, entry.replayTaskRunId));
      if (existing) return { taskRun: toTaskRun(existing), created: false };
    }
    const [failed] = await tx.select().from(taskRuns).where(eq(taskRuns.id, entry.taskRunId));
    if (!failed) throw new NotFoundError('task run', entry.taskRunId);
    const [next] = await tx
      .insert(taskRuns)
      .values({
        id: newId('taskRun'),
        projectId: input.projectId,
        runId: failed.runId,
        stageId: failed.stageId,
        taskId: failed.taskId,
        taskName: failed.taskName,
        // After the highest attempt so far, not just the failed one + 1: a retry may exist already.
        attempt: sql`(select coalesce(max(a.attempt), 0) + 1 from task_runs a where a.run_id = ${failed.runId} and a.stage_id = ${failed.stageId} and a.task_id = ${failed.taskId})`,
        input: failed.input,
      })
      .returning();
    await tx
      .update(dlq)
      .set({ replayedAt: sql`now()`, replayTaskRunId: next!.id, revision: sql`${dlq.revision} + 1`, updatedAt: sql`now()` })
      .where(eq(dlq.id, entry.id));
    return { taskRun: toTaskRun(next!), created: true };
  });
}

export async function deleteDlqEntry({ db, input }: { db: DbOrTx; input: { projectId: string; id: string } }) {
  const [row] = await db.delete(dlq).where(scoped(input.projectId, input.id)).returning({ id: dlq.id });
  if (!row) throw new NotFoundError('dlq entry', input.id);
}
