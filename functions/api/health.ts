import type { Context } from 'hono';
import { pingDatabase } from '../../db/client';
import type { MemoryCache } from '../cache/memory-cache';
import type { AppEnv } from './env';
import { problem, problemResponse } from './problem';

/**
 * GET /health, answered without zod or any resource's routes: it is what a load balancer, a
 * deploy check and most cold starts ask first. routes/health.ts describes it for the OpenAPI
 * document and serves it through the same function, so the two cannot disagree.
 */
export const healthCheck = (cache: MemoryCache) => async (c: Context<AppEnv>) => {
  // As every described route: an operation without query parameters refuses any.
  const unknown = Object.keys(c.req.queries());
  if (unknown.length > 0) {
    const errors = unknown.map((name) => ({ path: `query.${name}`, message: 'unknown field' }));
    return problemResponse(c, problem(400, 'validation_failed', 'the request is invalid', { errors }));
  }
  const database = c.get('database');
  const ping = await pingDatabase(database.db);
  const body = {
    status: ping.ok ? ('ok' as const) : ('unavailable' as const),
    database: { driver: database.driver, reachable: ping.ok, ...(ping.ok ? { latencyMs: ping.latencyMs } : {}) },
    cache: cache.stats(),
  };
  c.header('Cache-Control', 'no-store');
  if (!ping.ok) c.header('Retry-After', '5');
  return ping.ok ? c.json(body, 200) : c.json(body, 503);
};
