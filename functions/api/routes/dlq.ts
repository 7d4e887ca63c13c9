import { createRoute, z } from '@hono/zod-openapi';
import { projectStore } from '../http';
import { IdParams, LocationHeader, PageQuery, commonErrors, jsonResponse, notFound, optionalJsonBody, pageOf } from '../schemas';
import { createRouter } from '../validation';
import { TaskRun } from './task-runs';

const DlqEntry = z
  .object({
    id: z.string(),
    runId: z.string(),
    taskRunId: z.string(),
    payload: z.unknown(),
    error: z.unknown(),
    attempts: z.number().int(),
    failedAt: z.string().datetime(),
    replayedAt: z.string().datetime().nullable(),
    replayTaskRunId: z.string().nullable(),
    revision: z.number().int(),
    createdAt: z.string().datetime(),
    updatedAt: z.string().datetime(),
  })
  .openapi('DlqEntry');

const tags = ['dead-letter queue'];

export const dlqRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'listDlqEntries',
      tags,
      summary: 'List dead-lettered task runs, newest first',
      request: { query: PageQuery },
      responses: { 200: jsonResponse(pageOf(DlqEntry, 'DlqPage'), 'A page of entries'), ...commonErrors },
    }),
    async (c) => c.json(await projectStore(c).listDlq(c.req.valid('query')), 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{id}',
      operationId: 'getDlqEntry',
      tags,
      summary: 'Get a DLQ entry',
      request: { params: IdParams },
      responses: { 200: jsonResponse(DlqEntry, 'The entry'), ...commonErrors, ...notFound },
    }),
    async (c) => c.json(await projectStore(c).getDlqEntry(c.req.valid('param').id), 200),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/{id}/replay',
      operationId: 'replayDlqEntry',
      tags,
      summary: 'Replay: create the next attempt as a pending task run (idempotent: a second replay returns the same one)',
      request: { params: IdParams, body: optionalJsonBody(z.strictObject({})) },
      responses: {
        200: jsonResponse(TaskRun, 'Already replayed: the task run of the first replay'),
        201: { ...jsonResponse(TaskRun, 'The new attempt'), headers: LocationHeader },
        ...commonErrors,
        ...notFound,
      },
    }),
    async (c) => {
      const { taskRun, created } = await projectStore(c).replayDlqEntry(c.req.valid('param').id);
      if (!created) return c.json(taskRun, 200);
      c.header('Location', `/v1/task-runs/${taskRun.id}`);
      return c.json(taskRun, 201);
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/{id}',
      operationId: 'deleteDlqEntry',
      tags,
      summary: 'Delete a DLQ entry',
      request: { params: IdParams },
      responses: { 204: { description: 'Deleted' }, ...commonErrors, ...notFound },
    }),
    async (c) => {
      await projectStore(c).deleteDlqEntry(c.req.valid('param').id);
      return c.body(null, 204);
    },
  );
