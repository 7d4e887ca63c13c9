import { requestId } from 'hono/request-id';
import type { Database } from '../../db/client';
import type { MemoryCache } from '../cache/memory-cache';
import type { AppConfig } from '../config';
import { Store } from '../store/store';
import { authorize } from './auth';
import type { Router } from './env';
import { idempotency } from './idempotency';
import { handleError, problem, problemResponse } from './problem';
import { readJsonBody } from './request-body';
import { logCacheStats, markStaleResponse } from './stale';
import { createRouter } from './validation';

export interface ResourceAppContext {
  database: Database;
  config: AppConfig;
  /** The app's memory layer, shared by all its resources and the console. */
  cache: MemoryCache;
}

/**
 * One resource's app: what every /v1 request goes through (request id, the store, authentication,
 * the JSON body, idempotency), then the resource's routes under its prefix. createApp imports this
 * module with the first /v1 request, so neither the middleware nor the store (with the domain
 * layer behind it) is loaded by a cold start that has not been asked for one.
 */
export function createResourceApp({ database, config, cache }: ResourceAppContext, prefix: string, routers: Router[]): Router {
  const app = createRouter();
  app.use(requestId());
  app.use(async (c, next) => {
    c.set('database', database);
    c.set('config', config);
    c.set('store', Store.over(cache, database.db));
    await next();
    markStaleResponse(c);
    logCacheStats(cache);
  });
  app.use('/v1/*', authorize);
  // Only methods that carry a body pay for reading it (reading c.req.raw.body makes the node
  // adapter build a full Request); after authorize, so an anonymous request never gets parsed.
  app.on(['POST', 'PUT', 'PATCH'], '/v1/*', readJsonBody);
  // After authorize: a key belongs to the project it sets (admin routes have none and pass through).
  app.on('POST', '/v1/*', idempotency);
  for (const routes of routers) app.route(prefix, routes);
  app.notFound((c) => problemResponse(c, problem(404, 'route_not_found', `no route for ${c.req.method} ${c.req.path}`)));
  app.onError(handleError);
  return app;
}
