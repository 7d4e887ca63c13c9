import { createRoute, z } from '@hono/zod-openapi';
import { TASK_RUN_STATUSES } from '../../../db/schema';
import { TaskRunSchema } from '../../core/run-views';
import { ifMatchRevision, projectStore, withETag } from '../http';
import {
  CreatedHeaders,
  ETagHeader,
  IdParams,
  IfMatchHeaders,
  PageQuery,
  boundedJson,
  commonErrors,
  conflict,
  jsonBody,
  jsonResponse,
  notFound,
  pageOf,
  preconditionFailed,
} from '../schemas';
import { createRouter } from '../validation';

// Core's fields in an object made here: zod-openapi gives `.openapi()` only to schemas made once it has loaded.
export const TaskRun = z.object(TaskRunSchema.shape).openapi('TaskRun');

const StartTaskRun = z
  .strictObject({
    stageId: z.string().min(1).max(64),
    taskId: z.string().min(1).max(64),
    attempt: z.number().int().min(1).max(1000).optional(),
    status: z.enum(['pending', 'running']).optional(),
    input: boundedJson(z.unknown(), 256 * 1024).optional(),
  })
  .openapi('StartTaskRun');

const TaskRunPatch = z
  .strictObject({
    status: z.enum(TASK_RUN_STATUSES).exclude(['pending']).optional(),
    progress: z.number().min(0).max(1).optional(),
    messages: z.array(z.string().max(4096)).max(100).optional().openapi({ description: 'Appended to the messages' }),
    output: boundedJson(z.unknown(), 256 * 1024).optional(),
    error: boundedJson(z.unknown(), 64 * 1024).optional(),
  })
  .openapi('TaskRunPatch');

const tags = ['task runs'];

/** Routes under /v1/runs/{id}/tasks. */
export const runTaskRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'post',
      path: '/{id}/tasks',
      operationId: 'startTaskRun',
      tags,
      summary: 'Start a task run of a stage task of the run (an attempt, 1 by default)',
      request: { params: IdParams, body: jsonBody(StartTaskRun) },
      responses: {
        201: { ...jsonResponse(TaskRun, 'The new task run'), headers: CreatedHeaders },
        ...commonErrors,
        ...notFound,
        ...conflict,
      },
    }),
    async (c) => {
      const taskRun = await projectStore(c).startTaskRun({ ...c.req.valid('json'), runId: c.req.valid('param').id });
      c.header('Location', `/v1/task-runs/${taskRun.id}`);
      return c.json(withETag(c, taskRun), 201);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{id}/tasks',
      operationId: 'listRunTaskRuns',
      tags,
      summary: 'List the task runs of a run, oldest first',
      request: { params: IdParams, query: PageQuery },
      responses: { 200: jsonResponse(pageOf(TaskRun, 'TaskRunPage'), 'A page of task runs'), ...commonErrors, ...notFound },
    }),
    async (c) => c.json(await projectStore(c).listTaskRuns({ ...c.req.valid('query'), runId: c.req.valid('param').id }), 200),
  );

/** Routes under /v1/task-runs. */
export const taskRunRoutes = createRouter().openapi(
  createRoute({
    method: 'patch',
    path: '/{id}',
    operationId: 'updateTaskRun',
    tags,
    summary: 'Report progress, append messages, transition a task run',
    description:
      'pending -> running -> succeeded | failed | skipped | cancelled; pending -> skipped | cancelled. A failure with the ' +
      "task's attempts exhausted (registry max_attempts, default 3) writes a DLQ entry in the same transaction.",
    request: { params: IdParams, headers: IfMatchHeaders, body: jsonBody(TaskRunPatch) },
    responses: {
      200: { ...jsonResponse(TaskRun, 'The updated task run'), headers: ETagHeader },
      ...commonErrors,
      ...notFound,
      ...conflict,
      ...preconditionFailed,
    },
  }),
  async (c) => {
    const { id: taskRunId } = c.req.valid('param');
    const taskRun = await projectStore(c).updateTaskRun({ taskRunId, ifMatch: ifMatchRevision(c), patch: c.req.valid('json') });
    return c.json(withETag(c, taskRun), 200);
  },
);
