import { createRoute, z } from '@hono/zod-openapi';
import { MAX_TASK_RESULT_BYTES, MAX_TASK_TTL_SECONDS } from '../../core/idempotency';
import { projectStore } from '../http';
import { LocationHeader, boundedJson, commonErrors, jsonBody, jsonResponse, notFound } from '../schemas';
import { createRouter } from '../validation';

const TaskResult = z
  .object({
    key: z.string(),
    result: z.unknown().openapi({ description: 'The stored JSON value' }),
    createdAt: z.string().datetime(),
    expiresAt: z.string().datetime(),
  })
  .openapi('TaskResult');

const PutTaskResult = z
  .strictObject({
    // z.unknown() would also accept a missing field: a result must be given, even if it is null.
    result: boundedJson(
      z.unknown().refine((value) => value !== undefined, 'required'),
      MAX_TASK_RESULT_BYTES,
    ).openapi({ description: `Any JSON value, at most ${MAX_TASK_RESULT_BYTES / 1024} KiB serialized` }),
    ttlSeconds: z
      .number()
      .int()
      .min(1)
      .max(MAX_TASK_TTL_SECONDS)
      .optional()
      .openapi({ description: 'Lifetime in seconds (at most 30 days; default IDEMPOTENCY_TTL_HOURS)' }),
  })
  .openapi('PutTaskResult');

const KeyParams = z.object({
  key: z.string().min(1).max(255).openapi({ description: 'The caller’s key, 1-255 characters (URL-encoded)' }),
});
const tags = ['task idempotency'];

export const idempotencyRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'put',
      path: '/{key}',
      operationId: 'putTaskResult',
      tags,
      summary: 'Store a task result under a key, with a TTL (replaces the previous result)',
      request: { params: KeyParams, body: jsonBody(PutTaskResult) },
      responses: {
        200: jsonResponse(TaskResult, 'Replaced a result that was still live'),
        201: { ...jsonResponse(TaskResult, 'Stored (there was no live result under this key)'), headers: LocationHeader },
        ...commonErrors,
      },
    }),
    async (c) => {
      const { key } = c.req.valid('param');
      const { result, ttlSeconds } = c.req.valid('json');
      const ttl = ttlSeconds ?? c.get('config').idempotencyTtlHours * 3600;
      const { entry, created } = await projectStore(c).putTaskResult({ key, result, ttlSeconds: ttl });
      if (!created) return c.json(entry, 200);
      c.header('Location', `/v1/idempotency/${encodeURIComponent(key)}`);
      return c.json(entry, 201);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{key}',
      operationId: 'getTaskResult',
      tags,
      summary: 'Get a stored task result (404 when absent or expired)',
      request: { params: KeyParams },
      responses: { 200: jsonResponse(TaskResult, 'The stored result'), ...commonErrors, ...notFound },
    }),
    async (c) => c.json(await projectStore(c).getTaskResult(c.req.valid('param').key), 200),
  );
