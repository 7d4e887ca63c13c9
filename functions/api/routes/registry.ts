import { createRoute, z } from '@hono/zod-openapi';
import { DEFAULT_MAX_ATTEMPTS, SERVICE_STATUSES } from '../../../db/schema';
import { IDENTIFIER_MESSAGE, identifierPattern } from '../../core/identifiers';
import { REGISTRY_LIMITS as L } from '../../core/registry-limits';
import { projectStore, withETag } from '../http';
import { ETagHeader, PageQuery, commonErrors, jsonBody, jsonResponse, notFound, pageOf } from '../schemas';
import { createRouter } from '../validation';

// The identifier alphabet of pipeline definitions, its length bounded separately.
const serviceId = z.string().min(1).max(L.serviceId).regex(identifierPattern(), IDENTIFIER_MESSAGE);
const taskName = z.string().min(1).max(L.taskName).regex(identifierPattern(), IDENTIFIER_MESSAGE);

const ServiceTask = z
  .object({
    id: z.string().openapi({ description: 'Task name, as referenced by `task` in pipeline definitions' }),
    codeHash: z.string(),
    maxAttempts: z.number().int(),
    timeoutSeconds: z.number().int().nullable(),
    updatedAt: z.string().datetime(),
  })
  .openapi('ServiceTask');

const Service = z
  .object({
    id: z.string(),
    version: z.string().nullable(),
    baseUrl: z.string().nullable(),
    status: z.enum(SERVICE_STATUSES),
    lastSeenAt: z.string().datetime(),
    revision: z.number().int(),
    createdAt: z.string().datetime(),
    updatedAt: z.string().datetime(),
    tasks: z.array(ServiceTask),
  })
  .openapi('Service');

const TaskCodeChange = z
  .object({
    id: z.string(),
    taskId: z.string(),
    serviceId: z.string().openapi({ description: 'The service whose registration changed the hash' }),
    previousHash: z.string().nullable().openapi({ description: 'null for the first registration' }),
    newHash: z.string(),
    changedAt: z.string().datetime(),
  })
  .openapi('TaskCodeChange');

const TaskRegistration = z
  .strictObject({
    id: taskName,
    codeHash: z.string().min(1).max(L.codeHash).openapi({ description: 'Hash of the task code, e.g. SHA-256 hex' }),
    maxAttempts: z.number().int().min(1).max(L.maxAttempts).optional().openapi({ default: DEFAULT_MAX_ATTEMPTS }),
    timeoutSeconds: z.number().int().min(1).max(L.timeoutSeconds).optional(),
  })
  .openapi('TaskRegistration');

const RegisterService = z
  .strictObject({
    version: z.string().min(1).max(L.version).optional(),
    baseUrl: z
      .url({ protocol: /^https?$/, error: 'must be an http(s) URL' })
      .max(L.baseUrl)
      .optional(),
    status: z.enum(SERVICE_STATUSES).optional().openapi({ default: 'active' }),
    tasks: z
      .array(TaskRegistration)
      .max(L.tasksPerService)
      .superRefine((list, ctx) => {
        // Reported at the duplicate's own path so the client sees which entry to drop.
        const seen = new Set<string>();
        list.forEach((task, i) => {
          if (seen.has(task.id)) ctx.addIssue({ code: 'custom', path: [i, 'id'], message: `duplicate task id "${task.id}"` });
          seen.add(task.id);
        });
      }),
  })
  .openapi('RegisterService', {
    description: 'Fields left out are reset (PUT); tasks left out keep their current registration',
  });

const tags = ['registry'];

/** Routes under /v1/services. */
export const serviceRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'put',
      path: '/{id}',
      operationId: 'registerService',
      tags,
      summary: 'Register or refresh a worker service with its tasks (a named task of another service moves here)',
      request: { params: z.object({ id: serviceId }), body: jsonBody(RegisterService) },
      responses: {
        200: { ...jsonResponse(Service, 'Refreshed: revision + 1, lastSeenAt = now'), headers: ETagHeader },
        201: { ...jsonResponse(Service, 'Registered for the first time'), headers: ETagHeader },
        ...commonErrors,
      },
    }),
    async (c) => {
      const { service, created } = await projectStore(c).registerService({ ...c.req.valid('json'), id: c.req.valid('param').id });
      return created ? c.json(withETag(c, service), 201) : c.json(withETag(c, service), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'listServices',
      tags,
      summary: 'List worker services with their tasks, oldest first',
      request: { query: PageQuery },
      responses: { 200: jsonResponse(pageOf(Service, 'ServicePage'), 'A page of services'), ...commonErrors },
    }),
    async (c) => c.json(await projectStore(c).listServices(c.req.valid('query')), 200),
  );

/** Routes under /v1/tasks. */
export const taskRoutes = createRouter().openapi(
  createRoute({
    method: 'get',
    path: '/{id}/history',
    operationId: 'listTaskHistory',
    tags,
    summary: "A task's code-hash changes, newest first",
    // Looser than registration on purpose: any unknown name is a 404, not a 400.
    request: { params: z.object({ id: z.string().min(1).max(200) }), query: PageQuery },
    responses: {
      200: jsonResponse(pageOf(TaskCodeChange, 'TaskCodeChangePage'), 'A page of changes'),
      ...commonErrors,
      ...notFound,
    },
  }),
  async (c) => c.json(await projectStore(c).listTaskHistory({ ...c.req.valid('query'), taskId: c.req.valid('param').id }), 200),
);
