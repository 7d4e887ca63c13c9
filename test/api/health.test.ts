import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../functions/config';
import type { Database } from '../../db/client';
import { createApp } from '../../functions/api/app';
import { testDatabase, testDriver } from '../support/database';

describe('meta routes', () => {
  let database: Database;
  let app: ReturnType<typeof createApp>;
  beforeAll(async () => {
    database = await testDatabase();
    app = createApp({ database, config: loadConfig({ LOG_LEVEL: 'silent' }) });
  });

  it('GET /health reports the database as reachable with its latency', async () => {
    const res = await app.request('/health');
    expect(res.status).toBe(200);
    const body = await res.json();
    expect(body).toMatchObject({ status: 'ok', database: { driver: testDriver, reachable: true } });
    expect(body.database.latencyMs).toBeGreaterThanOrEqual(0);
    expect(res.headers.get('x-request-id')).toBeTruthy();
  });

  it('GET /health is 503 when the database is unreachable', async () => {
    const broken = {
      ...database,
      db: { execute: () => Promise.reject(Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })) },
    } as unknown as Database;
    const res = await createApp({ database: broken, config: loadConfig({}) }).request('/health');
    expect(res.status).toBe(503);
    expect(await res.json()).toMatchObject({ status: 'unavailable', database: { reachable: false } });
  });

  it('GET /health refuses query parameters, naming each, as every operation without any does', async () => {
    const res = await app.request('/health?verbose=1&x');
    expect(res.status).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toMatchObject({
      code: 'validation_failed',
      errors: [
        { path: 'query.verbose', message: 'unknown field' },
        { path: 'query.x', message: 'unknown field' },
      ],
    });
    expect((await app.request('/health?')).status).toBe(200);
  });

  it('GET /health counts the memory layer of the app, which /v1 reads fill', async () => {
    const before = (await (await app.request('/health')).json()).cache;
    await app.request('/v1/pipelines', { headers: { Authorization: 'Bearer ps_unknown_key_for_the_cache_count' } });
    const after = (await (await app.request('/health')).json()).cache;
    expect(after.misses + after.entries).toBeGreaterThan(before.misses + before.entries);
  });

  it('GET /openapi.json is an OpenAPI 3.1 document', async () => {
    const res = await app.request('/openapi.json');
    expect(res.status).toBe(200);
    const doc = await res.json();
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths['/health']).toBeDefined();
  });

  it('answers an unknown route with a problem+json 404 carrying the request id', async () => {
    const res = await app.request('/nothing-here', { headers: { 'X-Request-Id': 'req-123' } });
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(await res.json()).toEqual({
      type: 'https://pipestore.dev/problems/route_not_found',
      title: 'Not Found',
      status: 404,
      detail: 'no route for GET /nothing-here',
      code: 'route_not_found',
      requestId: 'req-123',
    });
  });
});
