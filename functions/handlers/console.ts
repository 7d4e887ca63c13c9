/**
 * Lambda entry of the web console, behind the API Gateway routes `ANY /console` and
 * `ANY /console/{proxy+}` (infra/api.ts): its own function, so the API function's bundle and cold
 * start carry none of it. Same configuration, database and init order as the API's entry.
 */
import { handle } from 'hono/aws-lambda';
import { createDatabase } from '../../db/client';
import { log } from '../log';
import { loadLambdaConfig } from './lambda-config';

const config = loadLambdaConfig();
const database = await createDatabase(config.database);
database
  .withSession(async () => undefined)
  .catch((err: unknown) => {
    log.warn('database connection at init failed', { error: String(err) });
  });
const [{ createConsoleApp }, { MemoryCache }] = await Promise.all([import('../console/app'), import('../cache/memory-cache')]);
const app = createConsoleApp({ database, config, cache: new MemoryCache(config.cache) });

export const handler = handle(app);
