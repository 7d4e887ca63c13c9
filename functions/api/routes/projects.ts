import { createRoute, z } from '@hono/zod-openapi';
import { ifMatchRevision, withETag } from '../http';
import {
  CreatedHeaders,
  DateTimeInput,
  IdParams,
  IfMatchHeaders,
  PageQuery,
  commonErrors,
  jsonBody,
  jsonResponse,
  notFound,
  optionalJsonBody,
  pageOf,
  preconditionFailed,
} from '../schemas';
import { createRouter } from '../validation';

const Project = z.object({ id: z.string(), name: z.string(), revision: z.number().int(), createdAt: z.string().datetime() }).openapi('Project');
const ApiKey = z
  .object({
    id: z.string(),
    key: z.string().openapi({ description: 'The secret. Shown only in this response; store it now.' }),
    prefix: z.string(),
    lastFour: z.string(),
    name: z.string().nullable(),
    createdAt: z.string().datetime(),
    expiresAt: z.string().datetime().nullable(),
  })
  .openapi('ApiKey');
const ApiKeyInfo = z
  .object({
    id: z.string(),
    projectId: z.string(),
    name: z.string().nullable(),
    prefix: z.string(),
    lastFour: z.string(),
    createdAt: z.string().datetime(),
    expiresAt: z.string().datetime().nullable(),
    revokedAt: z.string().datetime().nullable(),
  })
  .openapi('ApiKeyInfo', { description: 'An API key as listed: never the key itself' });

const tags = ['admin'];

export const projectRoutes = createRouter('admin')
  .openapi(
    createRoute({
      method: 'post',
      path: '/',
      operationId: 'createProject',
      tags,
      summary: 'Create a project',
      request: { body: jsonBody(z.strictObject({ name: z.string().trim().min(1).max(100) })) },
      responses: { 201: { ...jsonResponse(Project, 'The new project'), headers: CreatedHeaders }, ...commonErrors },
    }),
    async (c) => {
      const project = await c.get('store').createProject(c.req.valid('json'));
      c.header('Location', `/v1/projects/${project.id}`);
      return c.json(withETag(c, project), 201);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'listProjects',
      tags,
      summary: 'List projects, oldest first',
      request: { query: PageQuery },
      responses: { 200: jsonResponse(pageOf(Project, 'ProjectPage'), 'A page of projects'), ...commonErrors },
    }),
    async (c) => c.json(await c.get('store').listProjects(c.req.valid('query')), 200),
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/{id}',
      operationId: 'deleteProject',
      tags,
      summary: 'Delete a project with all its pipelines, runs and keys',
      request: { params: IdParams, headers: IfMatchHeaders },
      responses: { 204: { description: 'Deleted' }, ...commonErrors, ...notFound, ...preconditionFailed },
    }),
    async (c) => {
      await c.get('store').deleteProject({ projectId: c.req.valid('param').id, ifMatch: ifMatchRevision(c) });
      return c.body(null, 204);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{id}/keys',
      operationId: 'listApiKeys',
      tags,
      summary: "List a project's API keys, oldest first (never the keys themselves)",
      request: { params: IdParams, query: PageQuery },
      responses: { 200: jsonResponse(pageOf(ApiKeyInfo, 'ApiKeyPage'), 'A page of keys'), ...commonErrors, ...notFound },
    }),
    async (c) => c.json(await c.get('store').listApiKeys({ ...c.req.valid('query'), projectId: c.req.valid('param').id }), 200),
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/{id}/keys',
      operationId: 'createApiKey',
      tags,
      summary: 'Create an API key for a project (the key is shown once)',
      request: {
        params: IdParams,
        body: optionalJsonBody(
          z.strictObject({
            name: z.string().trim().min(1).max(100).optional(),
            expiresAt: DateTimeInput.optional().openapi({ description: 'When the key stops working (RFC 3339, years 0001-9999)' }),
          }),
        ),
      },
      responses: { 201: jsonResponse(ApiKey, 'The new key'), ...commonErrors, ...notFound },
    }),
    async (c) => {
      const { name, expiresAt } = c.req.valid('json') ?? {};
      const input = { projectId: c.req.valid('param').id, name, ...(expiresAt !== undefined && { expiresAt: new Date(expiresAt) }) };
      const key = await c.get('store').createApiKey(input);
      c.header('Cache-Control', 'no-store');
      return c.json(key, 201);
    },
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/{id}/keys/{keyId}',
      operationId: 'revokeApiKey',
      tags,
      summary: 'Revoke an API key',
      request: { params: IdParams.extend({ keyId: z.string().min(1).max(100) }) },
      responses: { 204: { description: 'Revoked (also when it already was)' }, ...commonErrors, ...notFound },
    }),
    async (c) => {
      const { id, keyId } = c.req.valid('param');
      await c.get('store').revokeApiKey({ projectId: id, keyId });
      return c.body(null, 204);
    },
  );
