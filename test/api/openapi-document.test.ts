/**
 * The API serves a document built ahead of time (functions/api/generated/openapi.json, written by
 * `npm run client:generate`), since it loads each resource's routes only on demand. It must be
 * exactly the document the routes build now; and the routes, loaded per prefix, must still answer
 * every path the way one eagerly built app did.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { OpenAPIHono } from '@hono/zod-openapi';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildOpenApiDocument } from '../../functions/api/openapi';
import { API_RESOURCES } from '../../functions/api/resources';
import { healthRoutes } from '../../functions/api/routes/health';
import { newProject, testApi, type TestApi } from '../support/api';

describe('the served OpenAPI document', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await testApi();
  });

  it('is the document the routes build, key order included (else run `npm run client:generate`)', async () => {
    const served = (await api.call('GET', '/openapi.json')).body;
    const built = await buildOpenApiDocument();
    // A plain comparison first: the diff of a whole document is no help, the command is.
    if (JSON.stringify(served) !== JSON.stringify(built)) {
      expect.fail('functions/api/generated/openapi.json is out of date: run `npm run client:generate`');
    }
    expect(Object.keys(served.paths).length).toBeGreaterThan(20);
  });
});

describe('routes loaded per resource prefix', () => {
  let api: TestApi;
  let key: string;
  beforeAll(async () => {
    api = await testApi();
    key = (await newProject(api, 'lazy-routes')).key;
  });

  it('include every router a route module exports (one left out of resources.ts would be served nowhere)', async () => {
    const mounted = new Set<unknown>([healthRoutes, ...(await Promise.all(API_RESOURCES.map((r) => r.load()))).flat()]);
    const dir = join(import.meta.dirname, '../../functions/api/routes');
    const unmounted: string[] = [];
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.ts'))) {
      const module = (await import(join(dir, file))) as Record<string, unknown>;
      for (const [name, value] of Object.entries(module)) if (value instanceof OpenAPIHono && !mounted.has(value)) unmounted.push(`${file}: ${name}`);
    }
    expect(unmounted).toEqual([]);
    expect(mounted.size).toBeGreaterThan(10);
  });

  it('authenticate a /v1 path no resource claims before saying it does not exist', async () => {
    expect((await api.call('GET', '/v1/nothing-here')).status).toBe(401);
    const res = await api.call('GET', '/v1/nothing-here', { token: key, headers: { 'X-Request-Id': 'req-lazy-1' } });
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ code: 'route_not_found', requestId: 'req-lazy-1', detail: 'no route for GET /v1/nothing-here' });
  });

  it('answer a path under a resource prefix that no route of it matches with the same 404', async () => {
    const res = await api.call('GET', '/v1/runs/x/y/z', { token: key });
    expect(res.status).toBe(404);
    expect(res.body.code).toBe('route_not_found');
  });

  it('answer concurrent first requests of one resource from one set of routes, with each request id', async () => {
    const fresh = await testApi();
    const answers = await Promise.all(
      Array.from({ length: 5 }, (_, i) => fresh.call('GET', '/v1/schedules', { token: key, headers: { 'X-Request-Id': `req-lazy-${i}` } })),
    );
    expect(answers.map((a) => a.status)).toEqual([200, 200, 200, 200, 200]);
    expect(answers.map((a) => a.headers.get('x-request-id'))).toEqual(['req-lazy-0', 'req-lazy-1', 'req-lazy-2', 'req-lazy-3', 'req-lazy-4']);
  });
});
