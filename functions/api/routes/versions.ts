import { createRoute, z } from '@hono/zod-openapi';
import { projectStore } from '../http';
import { Definition, LocationHeader, PageQuery, PipelineParams, commonErrors, jsonBody, jsonResponse, notFound, pageOf } from '../schemas';
import { createRouter } from '../validation';

export const Version = z
  .object({
    id: z.string(),
    pipelineId: z.string(),
    number: z.number().int(),
    hash: z.string().openapi({ description: 'SHA-256 of the RFC 8785 canonical JSON of the definition' }),
    definition: Definition,
    sourceHash: z.string().nullable(),
    createdAt: z.string().datetime(),
  })
  .openapi('Version');

const tags = ['versions'];

export const versionRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'post',
      path: '/{id}/versions',
      operationId: 'registerVersion',
      tags,
      summary: 'Register a definition: 201 with a new version, or 200 with the existing one of the same hash',
      request: {
        params: PipelineParams,
        body: jsonBody(
          z.strictObject({
            definition: Definition,
            sourceHash: z
              .string()
              .regex(/^[0-9a-f]{64}$/)
              .optional(),
          }),
        ),
      },
      responses: {
        200: jsonResponse(Version, 'The definition was already registered'),
        201: { ...jsonResponse(Version, 'A new version'), headers: LocationHeader },
        ...commonErrors,
        ...notFound,
      },
    }),
    async (c) => {
      const { version, created } = await projectStore(c).registerVersion({ ...c.req.valid('json'), pipeline: c.req.valid('param').id });
      if (!created) return c.json(version, 200);
      c.header('Location', `/v1/pipelines/${version.pipelineId}/versions/${version.number}`);
      return c.json(version, 201);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{id}/versions',
      operationId: 'listVersions',
      tags,
      summary: 'List versions, newest first',
      request: { params: PipelineParams, query: PageQuery },
      responses: { 200: jsonResponse(pageOf(Version, 'VersionPage'), 'A page of versions'), ...commonErrors, ...notFound },
    }),
    async (c) => c.json(await projectStore(c).listVersions({ ...c.req.valid('query'), pipeline: c.req.valid('param').id }), 200),
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{id}/versions/{numberOrHash}',
      operationId: 'getVersion',
      tags,
      summary: 'Get a version by number or content hash',
      request: { params: PipelineParams.extend({ numberOrHash: z.string().min(1).max(64) }) },
      responses: { 200: jsonResponse(Version, 'The version'), ...commonErrors, ...notFound },
    }),
    async (c) => {
      const { id: pipeline, numberOrHash } = c.req.valid('param');
      return c.json(await projectStore(c).getVersion({ pipeline, numberOrHash }), 200);
    },
  );
