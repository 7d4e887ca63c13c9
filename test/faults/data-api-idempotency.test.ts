/**
 * Idempotency-Key over the RDS Data API (the Lambda driver): the claim, the handler's writes and
 * the stored response are one Data API transaction (BeginTransaction … CommitTransaction), and a
 * statement that fails inside it (then explained by a query) runs in a savepoint.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../functions/config';
import { migrateDatabase } from '../../db/migrate';
import { createApp } from '../../functions/api/app';
import { ADMIN_TOKEN, simpleDefinition } from '../support/api';
import { startBackend, type HandlerBackend } from '../handlers/support/backends';

describe('Idempotency-Key on the Data API driver', () => {
  let backend: HandlerBackend;
  let app: ReturnType<typeof createApp>;
  let key: string;

  const call = async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}, token = key) => {
    const res = await app.request(path, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body !== undefined && { 'Content-Type': 'application/json' }), ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, headers: res.headers, text: await res.text() };
  };

  beforeAll(async () => {
    backend = await startBackend('data-api', 'idem');
    await migrateDatabase(backend.database);
    app = createApp({ database: backend.database, config: loadConfig({ ADMIN_TOKEN, LOG_LEVEL: 'silent' }) });
    const project = JSON.parse((await call('POST', '/v1/projects', { name: 'data-api-idem' }, {}, ADMIN_TOKEN)).text);
    key = JSON.parse((await call('POST', `/v1/projects/${project.id}/keys`, {}, {}, ADMIN_TOKEN)).text).key;
  });
  afterAll(async () => backend?.teardown());

  it('runs once and replays; a 404 explained after a failed insert is answered and stored', async () => {
    const body = { name: 'on-data-api', definition: simpleDefinition() };
    const first = await call('POST', '/v1/pipelines', body, { 'Idempotency-Key': 'p1' });
    expect(first.status).toBe(201);
    const again = await call('POST', '/v1/pipelines', body, { 'Idempotency-Key': 'p1' });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.text).toBe(first.text);

    const pipelineId = JSON.parse(first.text).id;
    const runs = await Promise.all(Array.from({ length: 10 }, () => call('POST', `/v1/pipelines/${pipelineId}/runs`, {}, { 'Idempotency-Key': 'r1' })));
    expect(runs.map((r) => r.status)).toEqual(Array(10).fill(201));
    expect(new Set(runs.map((r) => r.text)).size).toBe(1);
    const listed = JSON.parse((await call('GET', `/v1/pipelines/${pipelineId}/runs`)).text);
    expect(listed.items).toHaveLength(1);

    const missing = await call('POST', '/v1/pipelines/pl_00000000000000000000000000/runs', {}, { 'Idempotency-Key': 'r404' });
    expect(missing.status).toBe(404);
    expect((await call('POST', '/v1/pipelines/pl_00000000000000000000000000/runs', {}, { 'Idempotency-Key': 'r404' })).headers.get('idempotent-replayed')).toBe(
      'true',
    );
  });
});
