import { createRoute, z } from '@hono/zod-openapi';
import { healthCheck } from '../health';
import { createRouter } from '../validation';

const HealthSchema = z
  .object({
    status: z.enum(['ok', 'unavailable']),
    database: z.object({
      driver: z.enum(['pglite', 'pg', 'data-api']),
      reachable: z.boolean(),
      latencyMs: z.number().optional(),
    }),
    cache: z.object({
      entries: z.number().int(),
      hits: z.number().int(),
      misses: z.number().int(),
      staleServes: z.number().int(),
      evictions: z.number().int(),
    }),
  })
  .openapi('Health');

const healthRoute = createRoute({
  method: 'get',
  path: '/health',
  operationId: 'getHealth',
  tags: ['meta'],
  summary: 'Liveness and database reachability',
  security: [],
  responses: {
    200: { description: 'The API and its database are up', content: { 'application/json': { schema: HealthSchema } } },
    503: { description: 'The database is unreachable', content: { 'application/json': { schema: HealthSchema } } },
  },
});

/**
 * The health route as the OpenAPI document describes it. The API answers GET /health with
 * health.ts's handler in its root app, which loads no zod; this router exists for the document
 * (openapi.ts) and for the test that checks the API mounts what the document describes.
 */
export const healthRoutes = createRouter('public').openapi(healthRoute, (c) => healthCheck(c.get('store').cache)(c) as never);
