import { API_RESOURCES } from './resources';
import { healthRoutes } from './routes/health';
import { createRouter } from './validation';

/**
 * The OpenAPI document. The routes describe themselves (@hono/zod-openapi), but building the
 * description needs every route module loaded, which the API does only on demand (resources.ts).
 * So the document is built ahead of time by `npm run client:generate` into generated/openapi.json
 * (with the client types made from it), and the API serves that file; a test fails when it differs
 * from what the routes build now (test/api/openapi-document.test.ts).
 */
const DOCUMENT = {
  openapi: '3.1.0',
  security: [{ bearerAuth: [] }],
  // Relative: the document is served by the API it describes, wherever that is deployed.
  servers: [{ url: '/', description: 'The server that serves this document' }],
  info: {
    title: 'pipestore',
    version: '1.0.0',
    description: 'Durable state for pipeline platforms: pipelines, versions, runs, task runs, registry, DLQ.',
  },
};

/** The document the routes build: every resource loaded and mounted as the API mounts it. */
export async function buildOpenApiDocument() {
  const app = createRouter();
  app.route('/', healthRoutes);
  for (const { prefix, load } of API_RESOURCES) for (const routes of await load()) app.route(prefix, routes);
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'A project API key (ps_…), or the admin token for /v1/projects',
  });
  return app.getOpenAPI31Document(DOCUMENT);
}
