import { createRoute, z } from '@hono/zod-openapi';
import { registerVersion } from '../../core/versions';
import { pipelineIdOf } from '../http';
import { Definition, LocationHeader, PageQuery, commonErrors, jsonBody, jsonResponse, notFound, pageOf } from '../schemas';
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

const IdParams = z.object({ id: z.string().min(1).max(100).openapi({ description: 'The pipeline id (pl_…), or its name' }) });
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
        params: IdParams,
        body: jsonBody(
          z.strictObject({ definition: Definition, sourceHash: z.string().regex(/^[0-9a-f]{64}$/).optional() }),
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
      const { version, created } = await registerVersion({
        db: c.get('database').db,
        input: { ...c.req.valid('json'), projectId: c.get('projectId'), pipelineId: await pipelineIdOf(c, c.req.valid('param').id) },
      });
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
      request: { params: IdParams, query: PageQuery },
      responses: { 200: jsonResponse(pageOf(Version, 'VersionPage'), 'A page of versions'), ...commonErrors, ...notFound },
    }),
    async (c) => {
      const pipelineId = await pipelineIdOf(c, c.req.valid('param').id);
      return c.json(await c.get('reads').listVersions({ ...c.req.valid('query'), projectId: c.get('projectId'), pipelineId }), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{id}/versions/{numberOrHash}',
      operationId: 'getVersion',
      tags,
      summary: 'Get a version by number or content hash',
      request: { params: IdParams.extend({ numberOrHash: z.string().min(1).max(64) }) },
      responses: { 200: jsonResponse(Version, 'The version'), ...commonErrors, ...notFound },
    }),
    async (c) => {
      const { id, numberOrHash } = c.req.valid('param');
      const pipelineId = await pipelineIdOf(c, id);
      return c.json(await c.get('reads').getVersion({ projectId: c.get('projectId'), pipelineId, numberOrHash }), 200);
    },
  );
