import type { Context } from 'hono';
import type { AppEnv } from './env';

/**
 * GET /openapi.json: the document `npm run client:generate` built from the routes (openapi.ts),
 * loaded on its first request (its own chunk on Lambda).
 */
export async function serveOpenApiDocument(c: Context<AppEnv>) {
  const { default: document } = await import('./generated/openapi.json');
  return c.json(document);
}
