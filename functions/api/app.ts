import type { Context } from 'hono';
import { requestId } from 'hono/request-id';
import type { AppConfig } from '../config';
import type { Database } from '../../db/client';
import type { App, AppEnv } from './env';
import { setLogLevel } from '../log';
import { handleError, problem, problemResponse } from './problem';
import { swaggerUI } from '@hono/swagger-ui';
import { authorize } from './auth';
import { idempotency } from './idempotency';
import { readJsonBody } from './request-body';
import { healthRoutes } from './routes/health';
import { pipelineRoutes } from './routes/pipelines';
import { projectRoutes } from './routes/projects';
import { versionRoutes } from './routes/versions';
import { dlqRoutes } from './routes/dlq';
import { idempotencyRoutes } from './routes/idempotency';
import { pipelineRunRoutes, runRoutes } from './routes/runs';
import { runTaskRoutes, taskRunRoutes } from './routes/task-runs';
import { runQueryRoutes, taskRunQueryRoutes } from './routes/run-queries';
import { pipelineHistoryRoutes } from './routes/pipeline-history';
import { serviceRoutes, taskRoutes } from './routes/registry';
import { scheduleRoutes } from './routes/schedules';
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
  const app = createRouter();

  app.use(requestId());
  const cache = new MemoryCache(config.cache);
  app.use(async (c, next) => {
    c.set('database', database);
    c.set('config', config);
    c.set('store', Store.over(cache, database.db));
    await next();
    markStaleResponse(c);
    logCacheStats(cache);
  });

  app.route('/', healthRoutes);

  app.use('/v1/*', authorize);
  // Only methods that carry a body pay for reading it (reading c.req.raw.body makes the node
  // adapter build a full Request); after authorize, so an anonymous request never gets parsed.
  app.on(['POST', 'PUT', 'PATCH'], '/v1/*', readJsonBody);
  // After authorize: a key belongs to the project it sets (admin routes have none and pass through).
  app.on('POST', '/v1/*', idempotency);
  app.route('/v1/projects', projectRoutes);
  app.route('/v1/pipelines', pipelineRoutes);
  app.route('/v1/pipelines', versionRoutes);
  app.route('/v1/pipelines', pipelineRunRoutes);
  app.route('/v1/pipelines', pipelineHistoryRoutes);
  // Before runRoutes: /v1/runs/stats must not be read as the run "stats".
  app.route('/v1/runs', runQueryRoutes);
  app.route('/v1/runs', runRoutes);
  app.route('/v1/runs', runTaskRoutes);
  app.route('/v1/task-runs', taskRunQueryRoutes);
  app.route('/v1/task-runs', taskRunRoutes);
  app.route('/v1/dlq', dlqRoutes);
  app.route('/v1/idempotency', idempotencyRoutes);
  app.route('/v1/services', serviceRoutes);
  app.route('/v1/tasks', taskRoutes);
  app.route('/v1/schedules', scheduleRoutes);

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'A project API key (ps_…), or the admin token for /v1/projects',
  });
  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    security: [{ bearerAuth: [] }],
    // Relative: the document is served by the API it describes, wherever that is deployed.
    servers: [{ url: '/', description: 'The server that serves this document' }],
    info: {
      title: 'pipestore',
      version: '1.0.0',
      description: 'Durable state for pipeline platforms: pipelines, versions, runs, task runs, registry, DLQ.',
    },
  });

  app.get('/docs', swaggerUI({ url: '/openapi.json', title: 'pipestore API' }));

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
  app.all('/console', serveConsole);
  app.all('/console/*', serveConsole);

  app.notFound((c) => problemResponse(c, problem(404, 'route_not_found', `no route for ${c.req.method} ${c.req.path}`)));
  app.onError(handleError);
  return app;
}
