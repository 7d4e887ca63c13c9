/**
 * Lambda entry of the HTTP API (API Gateway HTTP API v2, one `$default` route). Configuration,
 * database and app are built once per container, at module scope: Lambda runs module
 * initialisation before the first invocation (at full CPU, even on small memory sizes), and warm
 * invocations reuse the pool and the memory cache. A node-postgres pool here holds at most one
 * connection and lets it go after a few idle seconds (loadConfig's Lambda defaults).
 *
 * Init order is chosen for the cold start: the database connection is opened first, and the app
 * (routes, schemas, OpenAPI: most of the code) is imported while it is being established, so the
 * network round trips of the connection and its authentication overlap the loading of that code
 * instead of following it on the first request. (The bundle is split, infra/bundling.ts: the
 * dynamic import loads the app's chunk, still during init.)
 */
import { handle } from 'hono/aws-lambda';
import { createDatabase } from '../../db/client';
import { errorFields, log } from '../log';
import { loadLambdaConfig } from './lambda-config';

const config = loadLambdaConfig();
const database = await createDatabase(config.database);
// node-postgres: takes the pool's one connection and gives it back, so the first request finds it
// open. Not awaited: a database that does not answer delays (and fails) the first request, as it
// would without this, rather than init. The Data API has no connection to open (withSession runs
// the callback on the spot).
database
  .withSession(async () => undefined)
  .catch((err: unknown) => {
    log.warn('database connection at init failed', { error: errorFields(err) });
  });
const { createApp } = await import('../api/app');
const app = createApp({ database, config });

export const handler = handle(app);
