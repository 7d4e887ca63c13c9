import { requestId } from 'hono/request-id';
import type { AppConfig } from '../../db/config';
import type { Database } from '../../db/client';
import type { App } from './env';
import { handleError, problem, problemResponse } from './problem';
import { healthRoutes } from './routes/health';
import { createRouter } from './validation';

export interface AppDependencies {
  database: Database;
  config: AppConfig;
}

/**
 * The whole HTTP API as one Hono app. Entry points (Lambda handler, local server, tests) build it
 * with their own dependencies; nothing here reads the environment.
 */
export function createApp({ database, config }: AppDependencies): App {
  const app = createRouter();

  app.use(requestId());
  app.use(async (c, next) => {
    c.set('database', database);
    c.set('config', config);
    await next();
  });

  app.route('/', healthRoutes);

  app.doc31('/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'pipestore',
      version: '1.0.0',
      description: 'Durable state for pipeline platforms: pipelines, versions, runs, task runs, registry, DLQ.',
    },
  });

  app.notFound((c) => problemResponse(c, problem(404, 'route_not_found', `no route for ${c.req.method} ${c.req.path}`)));
  app.onError(handleError);
  return app;
}
