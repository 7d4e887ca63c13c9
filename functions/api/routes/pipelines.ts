import { createRoute, z } from '@hono/zod-openapi';
import { PipelineNameSchema, pipelineMetadataFields } from '../../core/pipeline-metadata';
import { VERSION_HASH } from '../../core/pipeline-ref';
import { INT4_MAX } from '../../core/bounds';
import { ifMatchRevision, projectStore, withETag } from '../http';
import {
  CreatedHeaders,
  Definition,
  ETagHeader,
  IfMatchHeaders,
  PageQuery,
  PipelineParams,
  commonErrors,
  conflict,
  jsonBody,
  jsonResponse,
  notFound,
  pageOf,
  preconditionFailed,
} from '../schemas';
import { createRouter } from '../validation';
import { Version } from './versions';

const Pipeline = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    schedule: z.string().nullable(),
    timezone: z.string().openapi({ description: 'IANA time zone the schedule is read in' }),
    scheduleEnabled: z.boolean().openapi({ description: 'False while the schedule is paused' }),
    nextRunAt: z.string().datetime().nullable().openapi({ description: 'The next slot the schedule fires (null: no schedule, or paused)' }),
    lastScheduledFor: z.string().datetime().nullable().openapi({ description: 'The last slot that created a run' }),
    labels: z.record(z.string(), z.string()),
    activeVersion: z.number().int().nullable(),
    revision: z.number().int(),
    createdAt: z.string().datetime(),
    updatedAt: z.string().datetime(),
  })
  .openapi('Pipeline');

const CreatePipeline = z
  .strictObject({
    ...pipelineMetadataFields,
    definition: Definition,
    sourceHash: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .optional()
      .openapi({ description: 'SHA-256 of the source the definition was built from (sync skips unchanged files by it)' }),
  })
  .openapi('CreatePipeline');
const UpdatePipeline = z.strictObject({ ...pipelineMetadataFields, name: PipelineNameSchema.optional() }).openapi('UpdatePipeline');

const tags = ['pipelines'];

export const pipelineRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'post',
      path: '/',
      operationId: 'createPipeline',
      tags,
      summary: 'Create a pipeline with its first definition (version 1, active)',
      request: { body: jsonBody(CreatePipeline) },
      responses: {
        201: { ...jsonResponse(Pipeline.extend({ version: Version }), 'The new pipeline'), headers: CreatedHeaders },
        ...commonErrors,
        ...conflict,
      },
    }),
    async (c) => {
      const { pipeline, version } = await projectStore(c).createPipeline({ ...c.req.valid('json'), keyId: c.get('keyId') });
      c.header('Location', `/v1/pipelines/${pipeline.id}`);
      return c.json({ ...withETag(c, pipeline), version }, 201);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'listPipelines',
      tags,
      summary: 'List pipelines, oldest first',
      request: { query: PageQuery },
      responses: { 200: jsonResponse(pageOf(Pipeline, 'PipelinePage'), 'A page of pipelines'), ...commonErrors },
    }),
    async (c) => c.json(await projectStore(c).listPipelines(c.req.valid('query')), 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{id}',
      operationId: 'getPipeline',
      tags,
      summary: 'Get a pipeline by id or name',
      request: { params: PipelineParams },
      responses: {
        200: { ...jsonResponse(Pipeline, 'The pipeline'), headers: ETagHeader },
        ...commonErrors,
        ...notFound,
      },
    }),
    async (c) => c.json(withETag(c, await projectStore(c).getPipeline(c.req.valid('param').id)), 200),
  )
  .openapi(
    createRoute({
      method: 'patch',
      path: '/{id}',
      operationId: 'updatePipeline',
      tags,
      summary: 'Update pipeline metadata',
      request: { params: PipelineParams, headers: IfMatchHeaders, body: jsonBody(UpdatePipeline) },
      responses: {
        200: { ...jsonResponse(Pipeline, 'The updated pipeline'), headers: ETagHeader },
        ...commonErrors,
        ...notFound,
        ...conflict,
        ...preconditionFailed,
      },
    }),
    async (c) => {
      // The pipeline first: an unknown one is 404 whatever the If-Match says.
      const store = projectStore(c);
      const pipeline = await store.pipelineId(c.req.valid('param').id);
      const updated = await store.updatePipeline({ pipeline, ifMatch: ifMatchRevision(c), patch: c.req.valid('json') });
      return c.json(withETag(c, updated), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/{id}',
      operationId: 'deletePipeline',
      tags,
      summary: 'Delete a pipeline with its versions and runs',
      request: { params: PipelineParams, headers: IfMatchHeaders },
      responses: { 204: { description: 'Deleted' }, ...commonErrors, ...notFound, ...preconditionFailed },
    }),
    async (c) => {
      const store = projectStore(c);
      const pipeline = await store.pipelineId(c.req.valid('param').id);
      await store.deletePipeline({ pipeline, ifMatch: ifMatchRevision(c) });
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/{id}/activate',
      operationId: 'activatePipelineVersion',
      tags,
      summary: 'Make a version the active one (rollback = activate an older version)',
      request: {
        params: PipelineParams,
        headers: IfMatchHeaders,
        body: jsonBody(
          z.strictObject({
            version: z
              .union([z.number().int().min(1).max(INT4_MAX), z.string().regex(VERSION_HASH)])
              .openapi({ description: 'The version number, or the content hash of the version (64 lowercase hex digits)' }),
          }),
        ),
      },
      responses: {
        200: { ...jsonResponse(Pipeline, 'The pipeline with its new active version'), headers: ETagHeader },
        ...commonErrors,
        ...notFound,
        ...preconditionFailed,
      },
    }),
    async (c) => {
      const store = projectStore(c);
      const pipeline = await store.pipelineId(c.req.valid('param').id);
      const activated = await store.activateVersion({ pipeline, ...c.req.valid('json'), keyId: c.get('keyId'), ifMatch: ifMatchRevision(c) });
      return c.json(withETag(c, activated), 200);
    },
  );
