import { createRoute, z } from '@hono/zod-openapi';
import { RUN_STATUSES } from '../../../db/schema';
import { INT4_MAX } from '../../core/bounds';
import { RunSchema } from '../../core/run-views';
import { ifMatchRevision, projectStore, withETag } from '../http';
import {
  CreatedHeaders,
  ETagHeader,
  IdParams,
  IfMatchHeaders,
  PageQuery,
  PipelineParams,
  boundedJson,
  commonErrors,
  conflict,
  jsonBody,
  jsonResponse,
  notFound,
  optionalJsonBody,
  pageOf,
  preconditionFailed,
} from '../schemas';
import { createRouter } from '../validation';

// Core's fields in an object made here: zod-openapi gives `.openapi()` only to schemas made once it has loaded.
export const Run = z.object(RunSchema.shape).openapi('Run');

const RunPatch = z
  .strictObject({
    status: z.enum(RUN_STATUSES).exclude(['pending']).optional(),
    currentStage: z.string().min(1).max(64).nullable().optional(),
    stageResults: boundedJson(z.record(z.string().max(64), z.unknown()), 256 * 1024).optional(),
    output: boundedJson(z.unknown(), 256 * 1024).optional(),
    error: boundedJson(z.unknown(), 64 * 1024).optional(),
  })
  .openapi('RunPatch');

const tags = ['runs'];

/** Routes under /v1/pipelines/{id}/runs. */
export const pipelineRunRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'post',
      path: '/{id}/runs',
      operationId: 'createRun',
      tags,
      summary: 'Start a run (pending), pinned to the active version unless one is named',
      request: {
        params: PipelineParams,
        body: optionalJsonBody(
          z.strictObject({
            version: z.number().int().min(1).max(INT4_MAX).optional(),
            input: boundedJson(z.unknown(), 256 * 1024).optional(),
          }),
        ),
      },
      responses: { 201: { ...jsonResponse(Run, 'The new run'), headers: CreatedHeaders }, ...commonErrors, ...notFound },
    }),
    async (c) => {
      const { version, input } = c.req.valid('json') ?? {};
      const run = await projectStore(c).createRun({ pipeline: c.req.valid('param').id, version, input });
      c.header('Location', `/v1/runs/${run.id}`);
      return c.json(withETag(c, run), 201);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{id}/runs',
      operationId: 'listPipelineRuns',
      tags,
      summary: 'List runs of a pipeline, newest first, optionally by status',
      request: { params: PipelineParams, query: PageQuery.extend({ status: z.enum(RUN_STATUSES).optional() }) },
      responses: { 200: jsonResponse(pageOf(Run, 'RunPage'), 'A page of runs'), ...commonErrors, ...notFound },
    }),
    async (c) => c.json(await projectStore(c).listRuns({ ...c.req.valid('query'), pipeline: c.req.valid('param').id }), 200),
  );

/** Routes under /v1/runs. */
export const runRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/{id}',
      operationId: 'getRun',
      tags,
      summary: 'Get a run',
      request: { params: IdParams },
      responses: { 200: { ...jsonResponse(Run, 'The run'), headers: ETagHeader }, ...commonErrors, ...notFound },
    }),
    async (c) => c.json(withETag(c, await projectStore(c).getRun(c.req.valid('param').id)), 200),
  )
  .openapi(
    createRoute({
      method: 'patch',
      path: '/{id}',
      operationId: 'updateRun',
      tags,
      summary: 'Transition a run, set its current stage, merge stage results',
      description: 'pending -> running -> succeeded | failed | timed_out, pending|running -> cancelled. Terminal states are final: 409 with currentStatus.',
      request: { params: IdParams, headers: IfMatchHeaders, body: jsonBody(RunPatch) },
      responses: {
        200: { ...jsonResponse(Run, 'The updated run'), headers: ETagHeader },
        ...commonErrors,
        ...notFound,
        ...conflict,
        ...preconditionFailed,
      },
    }),
    async (c) => {
      const run = await projectStore(c).updateRun({ runId: c.req.valid('param').id, ifMatch: ifMatchRevision(c), patch: c.req.valid('json') });
      return c.json(withETag(c, run), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/{id}/heartbeat',
      operationId: 'heartbeatRun',
      tags,
      summary: 'Record that a running run is alive (does not change its revision)',
      request: { params: IdParams, body: optionalJsonBody(z.strictObject({})) },
      responses: {
        200: jsonResponse(z.object({ id: z.string(), status: z.enum(RUN_STATUSES), heartbeatAt: z.string().datetime() }), 'Recorded'),
        ...commonErrors,
        ...notFound,
        ...conflict,
      },
    }),
    async (c) => c.json(await projectStore(c).heartbeatRun(c.req.valid('param').id), 200),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/{id}/cancel',
      operationId: 'cancelRun',
      tags,
      summary: 'Cancel a pending or running run and its unfinished task runs',
      request: {
        params: IdParams,
        headers: IfMatchHeaders,
        body: optionalJsonBody(z.strictObject({ reason: z.string().max(2000).optional() })),
      },
      responses: {
        200: { ...jsonResponse(Run, 'The cancelled run'), headers: ETagHeader },
        ...commonErrors,
        ...notFound,
        ...conflict,
        ...preconditionFailed,
      },
    }),
    async (c) => {
      const { reason } = c.req.valid('json') ?? {};
      const cancelled = { runId: c.req.valid('param').id, ifMatch: ifMatchRevision(c), ...(reason !== undefined && { reason: { message: reason } }) };
      const run = await projectStore(c).cancelRun(cancelled);
      return c.json(withETag(c, run), 200);
    },
  );
