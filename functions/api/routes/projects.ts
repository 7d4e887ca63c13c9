import { createRoute, z } from '@hono/zod-openapi';
import { invalidating, tags as cacheTags } from '../../cache/cached-reads';
import { createApiKey, createProject, deleteProject, listApiKeys, listProjects, revokeApiKey } from '../../core/projects';
import { etag, ifMatchRevision } from '../http';
import {
  CreatedHeaders,
  DateTimeInput,
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

const Project = z
  .object({ id: z.string(), name: z.string(), revision: z.number().int(), createdAt: z.string().datetime() })
  .openapi('Project');
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
const ProjectParams = z.object({ id: z.string().min(1).max(100) });

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
      const project = await createProject({ db: c.get('database').db, input: c.req.valid('json') });
      c.header('ETag', etag(project.revision));
      c.header('Location', `/v1/projects/${project.id}`);
      return c.json(project, 201);
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
    async (c) => c.json(await listProjects({ db: c.get('database').db, input: c.req.valid('query') }), 200),
  )
  .openapi(
    createRoute({
      method: 'delete',
      path: '/{id}',
      operationId: 'deleteProject',
      tags,
      summary: 'Delete a project with all its pipelines, runs and keys',
      request: { params: ProjectParams, headers: IfMatchHeaders },
      responses: { 204: { description: 'Deleted' }, ...commonErrors, ...notFound, ...preconditionFailed },
    }),
    async (c) => {
      const input = { projectId: c.req.valid('param').id, ifMatch: ifMatchRevision(c) };
      const dropped = [cacheTags.apiKeys, cacheTags.pipelines(input.projectId)];
      await invalidating(c.get('cache'), dropped, deleteProject({ db: c.get('database').db, input }));
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
      request: { params: ProjectParams, query: PageQuery },
      responses: { 200: jsonResponse(pageOf(ApiKeyInfo, 'ApiKeyPage'), 'A page of keys'), ...commonErrors, ...notFound },
    }),
    async (c) => {
      const input = { ...c.req.valid('query'), projectId: c.req.valid('param').id };
      return c.json(await listApiKeys({ db: c.get('database').db, input }), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'post',
      path: '/{id}/keys',
      operationId: 'createApiKey',
      tags,
      summary: 'Create an API key for a project (the key is shown once)',
      request: {
        params: ProjectParams,
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
      const key = await createApiKey({ db: c.get('database').db, input });
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
      request: { params: ProjectParams.extend({ keyId: z.string().min(1).max(100) }) },
      responses: { 204: { description: 'Revoked (also when it already was)' }, ...commonErrors, ...notFound },
    }),
    async (c) => {
      const { id, keyId } = c.req.valid('param');
      await invalidating(c.get('cache'), [cacheTags.apiKeys], revokeApiKey({ db: c.get('database').db, input: { projectId: id, keyId } }));
      return c.body(null, 204);
    },
  );
