import { createRoute, z } from '@hono/zod-openapi';
import { pingDatabase } from '../../../db/client';
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

export const healthRoutes = createRouter('public').openapi(healthRoute, async (c) => {
  const database = c.get('database');
  const ping = await pingDatabase(database.db);
  const body = {
    status: ping.ok ? ('ok' as const) : ('unavailable' as const),
    database: { driver: database.driver, reachable: ping.ok, ...(ping.ok ? { latencyMs: ping.latencyMs } : {}) },
    cache: c.get('store').cache.stats(),
  };
  c.header('Cache-Control', 'no-store');
  if (!ping.ok) c.header('Retry-After', '5');
  return ping.ok ? c.json(body, 200) : c.json(body, 503);
});
