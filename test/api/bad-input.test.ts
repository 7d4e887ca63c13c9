/**
 * Every kind of bad input gets a clear 4xx problem+json, writes nothing, and never leaks SQL,
 * stacks or driver text.
 */
import { count, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { pipelines, pipelineVersions } from '../../db/schema';
import { DEFINITION_LIMITS } from '../../functions/core/definitions';
import { newPipeline, newProject, simpleDefinition, testApi, type TestApi } from '../support/api';

const LEAKS = /select |insert |update |delete |\bfrom\b|constraint|violates|at .*\.(ts|js):\d+|node_modules|drizzle|postgres|pglite|ECONN/i;

describe('bad input', () => {
  let api: TestApi;
  let project: Awaited<ReturnType<typeof newProject>>;
  let pipelineId: string;

  beforeAll(async () => {
    api = await testApi();
    project = await newProject(api);
    pipelineId = (await newPipeline(api, project.key)).id;
  });

  const rowCounts = async () => {
    const [p] = await api.database.db.select({ n: count() }).from(pipelines).where(eq(pipelines.projectId, project.id));
    const [v] = await api.database.db.select({ n: count() }).from(pipelineVersions).where(eq(pipelineVersions.projectId, project.id));
    return { pipelines: p!.n, versions: v!.n };
  };

  const expectProblem = async (request: { method: string; path: string; body?: unknown; headers?: Record<string, string> }, status: number, code: string) => {
    const before = await rowCounts();
    const res = await api.call(request.method, request.path, { token: project.key, body: request.body, headers: request.headers });
    expect(res.status).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body).toMatchObject({ status, code, type: expect.any(String), title: expect.any(String), detail: expect.any(String) });
    expect(res.body.requestId).toBeTruthy();
    expect(JSON.stringify(res.body)).not.toMatch(LEAKS);
    expect(await rowCounts()).toEqual(before);
    return res.body as { errors?: { path: string; message: string }[] };
  };

  const create = (body: unknown, headers?: Record<string, string>) => ({ method: 'POST', path: '/v1/pipelines', body, headers });

  it('malformed JSON', async () => {
    await expectProblem(create('{"name": "x", '), 400, 'malformed_json');
  });

  it('an unknown Content-Type', async () => {
    await expectProblem(create('name=x', { 'Content-Type': 'application/x-www-form-urlencoded' }), 415, 'unsupported_media_type');
  });

  it('a body over 1 MiB', async () => {
    const body = JSON.stringify({ name: 'big', description: 'x'.repeat(1024 * 1024), definition: simpleDefinition() });
    await expectProblem(create(body), 413, 'payload_too_large');
  });

  it('wrong types, each field named', async () => {
    const body = await expectProblem(create({ name: 42, labels: 'x', definition: { stages: 'none' } }), 400, 'validation_failed');
    expect(body.errors!.map((e) => e.path).sort()).toEqual(['definition.stages', 'labels', 'name']);
  });

  it('a missing body', async () => {
    await expectProblem({ method: 'POST', path: '/v1/pipelines' }, 400, 'validation_failed');
  });

  it.each(['Upper', 'has space', 'trailing-', 'under_score', '-lead', 'a'.repeat(101)])('a name that is not a slug: %s', async (name) => {
    const body = await expectProblem(create({ name, definition: simpleDefinition() }), 400, 'validation_failed');
    const reason = name.length > 100 ? expect.stringMatching(/100/) : 'must be a slug: lowercase letters, digits and single hyphens';
    expect(body.errors).toEqual([{ path: 'name', message: reason }]);
  });

  it('an unknown field', async () => {
    const body = await expectProblem(create({ name: 'ok-name', definition: simpleDefinition(), owner: 'me' }), 400, 'validation_failed');
    expect(body.errors).toEqual([{ path: 'owner', message: 'unknown field' }]);
  });

  it.each([
    ['* * *', 'schedule'],
    ['61 * * * *', 'schedule'],
    ['0 0 31 2 *', 'schedule'],
  ])('an invalid cron schedule %j', async (schedule, path) => {
    const body = await expectProblem(create({ name: 'cron-test', schedule, definition: simpleDefinition() }), 400, 'validation_failed');
    expect(body.errors!.map((e) => e.path)).toEqual([path]);
  });

  it.each([
    [{ stages: [] }, 'definition.stages'],
    [{ stages: [{ id: 'a' }, { id: 'a' }] }, 'definition.stages.1.id'],
    [{ stages: [{ id: 'a', dependsOn: ['nope'] }] }, 'definition.stages.0.dependsOn.0'],
    [{ stages: [{ id: 'a', dependsOn: ['a'] }] }, 'definition.stages.0.dependsOn.0'],
    [
      {
        stages: [
          { id: 'a', dependsOn: ['c'] },
          { id: 'b', dependsOn: ['a'] },
          { id: 'c', dependsOn: ['b'] },
        ],
      },
      'definition.stages.0.dependsOn',
    ],
    [
      {
        stages: [
          {
            id: 'a',
            tasks: [
              { id: 't', task: 'x' },
              { id: 't', task: 'y' },
            ],
          },
        ],
      },
      'definition.stages.0.tasks.1.id',
    ],
    [{ stages: [{ id: 'bad id!' }] }, 'definition.stages.0.id'],
    [{ stages: [{ id: 'a', extra: true }] }, 'definition.stages.0.extra'],
  ])('an invalid definition %j names the stage', async (definition, path) => {
    const body = await expectProblem(create({ name: 'bad-def', definition }), 400, 'validation_failed');
    expect(body.errors!.map((e) => e.path)).toContain(path);
  });

  it('a cycle is described by the stages in it', async () => {
    const definition = {
      stages: [
        { id: 'a', dependsOn: ['b'] },
        { id: 'b', dependsOn: ['a'] },
      ],
    };
    const body = await expectProblem(create({ name: 'cycle', definition }), 400, 'validation_failed');
    expect(body.errors![0]!.message).toBe('dependency cycle: a -> b -> a');
  });

  it('an oversize definition', async () => {
    const stages = Array.from({ length: DEFINITION_LIMITS.stages + 1 }, (_, i) => ({ id: `s${i}` }));
    await expectProblem(create({ name: 'too-many', definition: { stages } }), 400, 'validation_failed');
    const heavy = { stages: [{ id: 'a', config: { blob: 'x'.repeat(DEFINITION_LIMITS.bytes) } }] };
    const body = await expectProblem({ method: 'POST', path: `/v1/pipelines/${pipelineId}/versions`, body: { definition: heavy } }, 400, 'validation_failed');
    expect(body.errors![0]!.path).toBe('definition');
  });

  it.each(['foo=1', 'limit=0', 'limit=201', 'limit=ten'])('a bad list query %s', async (query) => {
    await expectProblem({ method: 'GET', path: `/v1/pipelines?${query}` }, 400, 'validation_failed');
  });

  it('a cursor that was tampered with, or belongs to another list', async () => {
    for (let i = 0; i < 2; i++) await newPipeline(api, project.key);
    const page = await api.call('GET', '/v1/pipelines?limit=1', { token: project.key });
    const cursor: string = page.body.nextCursor;
    const [payload, sum] = cursor.split('.');
    const forged = Buffer.from(JSON.stringify(['pipelines', '1999-01-01T00:00:00.000Z', 'pl_x'])).toString('base64url');
    for (const bad of [`${payload}x.${sum}`, `${forged}.${sum}`, 'garbage', `${cursor}.x`]) {
      const body = await expectProblem({ method: 'GET', path: `/v1/pipelines?cursor=${encodeURIComponent(bad)}` }, 400, 'validation_failed');
      expect(body.errors).toEqual([{ path: 'query.cursor', message: expect.any(String) }]);
    }
    await expectProblem({ method: 'GET', path: `/v1/pipelines/${pipelineId}/versions?cursor=${encodeURIComponent(cursor)}` }, 400, 'validation_failed');
  });

  it('a malformed If-Match', async () => {
    await expectProblem(
      { method: 'PATCH', path: `/v1/pipelines/${pipelineId}`, body: { description: 'x' }, headers: { 'If-Match': 'v1' } },
      400,
      'invalid_if_match',
    );
  });

  it('an activation without a version number', async () => {
    const body = await expectProblem({ method: 'POST', path: `/v1/pipelines/${pipelineId}/activate`, body: { version: 'two' } }, 400, 'validation_failed');
    expect(body.errors![0]!.path).toBe('version');
  });

  it('an unexpected failure is an opaque 500', async () => {
    const failing = await testApi();
    const broken = {
      ...failing.database,
      db: new Proxy(failing.database.db, {
        get: (target, prop) =>
          prop === 'select'
            ? () => {
                throw new Error('relation "secret_table" does not exist at db.ts:12');
              }
            : Reflect.get(target, prop),
      }),
    };
    const { createApp } = await import('../../functions/api/app');
    const { loadConfig } = await import('../../functions/config');
    const app = createApp({ database: broken, config: loadConfig({ LOG_LEVEL: 'silent' }) });
    const res = await app.request('/v1/pipelines', { headers: { Authorization: `Bearer ${project.key}` } });
    expect(res.status).toBe(500);
    const text = await res.text();
    expect(text).not.toMatch(LEAKS);
    expect(text).not.toContain('secret_table');
  });
});
