import { Hono, type Context } from 'hono';
import { requestId } from 'hono/request-id';
import type { AppConfig } from '../config';
import type { Database } from '../../db/client';
import type { App, AppEnv, Router } from './env';
import { setLogLevel } from '../log';
import { handleError, problem, problemResponse } from './problem';
import { swaggerUI } from '@hono/swagger-ui';
import { healthCheck } from './health';
import { serveOpenApiDocument } from './openapi-document';
import { API_RESOURCES, type ApiResource } from './resources';
import { useCursorSecret } from '../core/pagination';
import { MemoryCache } from '../cache/memory-cache';
import { logCacheStats } from './stale';

export interface AppDependencies {
  database: Database;
  config: AppConfig;
}

/** The /v1 paths no resource claims: authenticated first, then 404, as any unknown /v1 path. */
const UNCLAIMED_V1: ApiResource = { prefix: '/v1', load: async () => [] };

/**
 * The whole HTTP API as one Hono app. Entry points (Lambda handler, local server, tests) build it
 * with their own dependencies; nothing here reads the environment.
 *
 * What it loads at once is only what answers outside /v1 (health, the OpenAPI document, the docs
 * page): no zod, no domain layer. Each resource's app (resource-app.ts: the /v1 middleware and the
 * store, then its routes with their schemas) is built by the first request under its prefix, so a
 * cold start pays for what it is asked and nothing else.
 */
export function createApp({ database, config }: AppDependencies): App {
  setLogLevel(config.logLevel);
  // Cursors must verify on every process of a deployment: CURSOR_SECRET, or a key derived from the
  // admin token (on Lambda the AdminToken secret every container shares). With neither, this
  // process's own random key: cursors then outlive neither a restart nor a hop to another process.
  const cursorSecret = config.cursorSecret ?? config.adminToken;
  if (cursorSecret !== undefined) useCursorSecret(cursorSecret);
  const cache = new MemoryCache(config.cache);

  // The web console, loaded on its first request: a dynamic import (its own chunk in the Lambda
  // bundle), so neither the API's cold start nor its routing pays for it. It shares this app's
  // memory layer, so writes through either invalidate what both serve.
  let consoleApp: Promise<{ fetch: (request: Request) => Response | Promise<Response> }> | undefined;
  const serveConsole = async (c: Context<AppEnv>) => {
    consoleApp ??= import('../console/app').then(({ createConsoleApp }) => createConsoleApp({ database, config, cache }));
    const headers = new Headers(c.req.raw.headers);
    headers.set('X-Request-Id', c.get('requestId'));
    return (await consoleApp).fetch(new Request(c.req.raw, { headers }));
  };

  // Everything outside /v1: health, the document, the docs page, the console.
  const root = new Hono<AppEnv>();
  root.use(requestId());
  root.use(async (c, next) => {
    c.set('database', database);
    c.set('config', config);
    await next();
    logCacheStats(cache);
  });
  root.get('/health', healthCheck(cache));
  root.get('/openapi.json', serveOpenApiDocument);
  root.get('/docs', swaggerUI({ url: '/openapi.json', title: 'pipestore API' }));
  root.all('/console', serveConsole);
  root.all('/console/*', serveConsole);
  root.notFound((c) => problemResponse(c, problem(404, 'route_not_found', `no route for ${c.req.method} ${c.req.path}`)));
  root.onError(handleError);

  /**
   * A resource's app, built on the first request under its prefix: importing its route modules
   * builds their routes and schemas. A failed import is retried by the next request.
   */
  const lazyResource = ({ prefix, load }: ApiResource) => {
    let built: Promise<Router> | undefined;
    return () =>
      (built ??= Promise.all([import('./resource-app'), load()]).then(
        ([{ createResourceApp }, routers]) => createResourceApp({ database, config, cache }, prefix, routers),
        (err: unknown) => {
          built = undefined;
          throw err;
        },
      ));
  };

  // Routing by prefix only; each request is then answered by one app with its whole middleware.
  const dispatcher: App = new Hono<AppEnv>();
  // Resources of named paths first: they are carved out of a prefix another resource answers.
  const byPathsFirst = [...API_RESOURCES.filter((r) => r.paths), ...API_RESOURCES.filter((r) => !r.paths), UNCLAIMED_V1];
  for (const resource of byPathsFirst) {
    const resourceApp = lazyResource(resource);
    const forward = async (c: Context<AppEnv>) => (await resourceApp()).fetch(c.req.raw, c.env);
    for (const path of resource.paths ?? [resource.prefix, `${resource.prefix}/*`]) dispatcher.all(path, forward);
  }
  dispatcher.all('*', (c) => root.fetch(c.req.raw, c.env));
  return dispatcher;
}
