/**
 * Lambda entry of the HTTP API (API Gateway HTTP API v2, one `$default` route). Configuration,
 * database and app are built once per container, at module scope: Lambda runs module
 * initialisation before the first invocation (at full CPU, even on small memory sizes), and warm
 * invocations reuse the pool and the memory cache. A node-postgres pool here holds at most one
 * connection and lets it go after a few idle seconds (loadConfig's Lambda defaults).
 */
import { handle } from 'hono/aws-lambda';
import { createDatabase } from '../../db/client';
import { createApp } from '../api/app';
import { loadLambdaConfig } from './config';

const config = loadLambdaConfig();
const database = await createDatabase(config.database);
const app = createApp({ database, config });

export const handler = handle(app);
