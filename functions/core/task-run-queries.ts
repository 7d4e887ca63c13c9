/**
 * Task runs across a project (GET /v1/task-runs, GET /v1/task-runs/{id}): a DLQ entry or a failing
 * task followed across runs.
 */
import { and, desc, eq } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client';
import { type TaskRunStatus, taskRuns } from '../../db/schema';
import { NotFoundError } from './errors';
import { afterCursor, filteredList, pageStart, toPage, type Page, type ProjectListRequest } from './pagination';
import { toTaskRun, type TaskRun } from './run-views';

export interface TaskRunFilters {
  status?: TaskRunStatus;
  /** The task's id within its stage (definition `tasks[].id`). */
  taskId?: string;
}

export async function getTaskRun({ db, projectId, taskRunId }: { db: DbOrTx; projectId: string; taskRunId: string }): Promise<TaskRun> {
  const [row] = await db
    .select()
    .from(taskRuns)
    .where(and(eq(taskRuns.id, taskRunId), eq(taskRuns.projectId, projectId)));
  if (!row) throw new NotFoundError('task run', taskRunId);
  return toTaskRun(row);
}

/**
 * Newest first, keyset on (created_at, id); the cursor is bound to the filters. One walk of
 * task_runs_project_id_task_id_created_at_id_idx (taskId, status then filtered while walking),
 * task_runs_project_id_status_created_at_id_idx (status) or task_runs_project_id_created_at_id_idx.
 */
export async function listProjectTaskRuns({
  db,
  projectId,
  filters = {},
  cursor,
  limit: requested,
}: ProjectListRequest<TaskRunFilters>): Promise<Page<TaskRun>> {
  const listName = filteredList('project-task-runs', { status: filters.status ?? null, taskId: filters.taskId ?? null });
  const { limit, position } = pageStart(listName, { cursor, limit: requested });
  const rows = await db
    .select()
    .from(taskRuns)
    .where(
      and(
        eq(taskRuns.projectId, projectId),
        filters.status ? eq(taskRuns.status, filters.status) : undefined,
        filters.taskId ? eq(taskRuns.taskId, filters.taskId) : undefined,
        afterCursor(taskRuns, position, 'desc'),
      ),
    )
    .orderBy(desc(taskRuns.createdAt), desc(taskRuns.id))
    .limit(limit + 1);
  return toPage(listName, rows, limit, toTaskRun);
}
