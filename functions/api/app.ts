import { Hono, type Context } from 'hono';
import { requestId } from 'hono/request-id';
import type { AppConfig } from '../config';
import type { Database } from '../../db/client';
import type { App, AppEnv, Router } from './env';
import { setLogLevel } from '../log';
import { handleError, problem, problemResponse } from './problem';
import { swaggerUI } from '@hono/swagger-ui';
import { authorize } from './auth';
import { idempotency } from './idempotency';
import { readJsonBody } from './request-body';
import { healthRoutes } from './routes/health';
import { serveOpenApiDocument } from './openapi';
import { API_RESOURCES, type ApiResource } from './resources';
import { createRouter } from './validation';
import { useCursorSecret } from '../core/pagination';
import { MemoryCache } from '../cache/memory-cache';
import { Store } from '../store/store';
import { logCacheStats, markStaleResponse } from './stale';

export interface AppDependencies {
  database: Database;
  config: AppConfig;
}

/**
 * The whole HTTP API as one Hono app. Entry points (Lambda handler, local server, tests) build it
 * with their own dependencies; nothing here reads the environment.
 */
export function createApp({ database, config }: AppDependencies): App {
  setLogLevel(config.logLevel);
  // Cursors must verify on every process of a deployment: CURSOR_SECRET, or a key derived from the
  // admin token (on Lambda the AdminToken secret every container shares). With neither, this
  // process's own random key: cursors then outlive neither a restart nor a hop to another process.
  const cursorSecret = config.cursorSecret ?? config.adminToken;
  if (cursorSecret !== undefined) useCursorSecret(cursorSecret);
  const cache = new MemoryCache(config.cache);

  /** An app with what every request goes through, before and after the routes `mount` adds. */
  const withRequestContext = (mount: (app: Router) => void): Router => {
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
    mount(app);
    app.notFound((c) => problemResponse(c, problem(404, 'route_not_found', `no route for ${c.req.method} ${c.req.path}`)));
    app.onError(handleError);
    return app;
  };
  const v1Middleware = (app: Router) => {
    app.use('/v1/*', authorize);
    // Only methods that carry a body pay for reading it (reading c.req.raw.body makes the node
    // adapter build a full Request); after authorize, so an anonymous request never gets parsed.
    app.on(['POST', 'PUT', 'PATCH'], '/v1/*', readJsonBody);
    // After authorize: a key belongs to the project it sets (admin routes have none and pass through).
    app.on('POST', '/v1/*', idempotency);
  };

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

  // Everything outside the resources: health, the document, the docs page, the console, and the
  // /v1 paths no resource claims (authenticated first, then 404, as any unknown /v1 path).
  const root = withRequestContext((app) => {
    app.route('/', healthRoutes);
    app.get('/openapi.json', serveOpenApiDocument);
    app.get('/docs', swaggerUI({ url: '/openapi.json', title: 'pipestore API' }));
    app.all('/console', serveConsole);
    app.all('/console/*', serveConsole);
    v1Middleware(app);
  });

  /**
   * A resource's app (the middleware, then its routes), built on the first request under its
   * prefix: importing its route modules builds their routes and schemas, which is most of what an
   * eager app did at init. A failed import is retried by the next request.
   */
  const lazyResource = ({ prefix, load }: ApiResource) => {
    let built: Promise<Router> | undefined;
    return () =>
      (built ??= load().then(
        (routers) =>
          withRequestContext((app) => {
            v1Middleware(app);
            for (const routes of routers) app.route(prefix, routes);
          }),
        (err: unknown) => {
          built = undefined;
          throw err;
        },
      ));
  };

  // Routing by prefix only; each request is then answered by one app with its whole middleware.
  const dispatcher: App = new Hono<AppEnv>();
  for (const resource of API_RESOURCES) {
    const resourceApp = lazyResource(resource);
    const forward = async (c: Context<AppEnv>) => (await resourceApp()).fetch(c.req.raw, c.env);
    dispatcher.all(resource.prefix, forward);
    dispatcher.all(`${resource.prefix}/*`, forward);
  }
  dispatcher.all('*', (c) => root.fetch(c.req.raw, c.env));
  return dispatcher;
}
