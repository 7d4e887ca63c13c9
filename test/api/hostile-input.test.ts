/**
 * Input Postgres or JavaScript cannot hold as sent is refused where it comes in, as a 400 naming
 * where it is, never a 500 from a statement: NUL, lone surrogates, integers beyond int4, nesting
 * beyond the documented depth, dates beyond 4-digit years, non-decimal query integers, forged or
 * out-of-range cursors. Writes nothing. (Transport-level cases over a real socket are in
 * http-transport.test.ts; the fuzz in test/fuzz/ drives all of this at random.)
 */
import { count, eq } from 'drizzle-orm';
import { beforeAll, describe, expect, it } from 'vitest';
import { pipelineRuns, pipelines, taskRuns } from '../../db/schema';
import { INT4_MAX, MAX_JSON_DEPTH } from '../../functions/core/bounds';
import { encodeKey } from '../../functions/core/pagination';
import { ADMIN_TOKEN, newPipeline, newProject, testApi, type TestApi } from '../support/api';

const nested = (depth: number, leaf: unknown = 1): unknown => {
  let value = leaf;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
};

describe('hostile input', () => {
  let api: TestApi;
  let project: Awaited<ReturnType<typeof newProject>>;
  let pipeline: { id: string; name: string; revision: number };
  let runId: string;
  let taskRunId: string;

  beforeAll(async () => {
    api = await testApi();
    project = await newProject(api, 'hostile');
    pipeline = await newPipeline(api, project.key);
    runId = (await call('POST', `/v1/pipelines/${pipeline.id}/runs`, {})).body.id;
    await call('PATCH', `/v1/runs/${runId}`, { status: 'running' });
    taskRunId = (await call('POST', `/v1/runs/${runId}/tasks`, { stageId: 'fetch', taskId: 'download', status: 'running' })).body.id;
  });

  const call = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
    api.call(method, path, { token: project.key, body, headers });

  const rows = async () => ({
    pipelines: (await api.database.db.select({ n: count() }).from(pipelines).where(eq(pipelines.projectId, project.id)))[0]!.n,
    runs: (await api.database.db.select({ n: count() }).from(pipelineRuns).where(eq(pipelineRuns.projectId, project.id)))[0]!.n,
    taskRuns: (await api.database.db.select({ n: count() }).from(taskRuns).where(eq(taskRuns.projectId, project.id)))[0]!.n,
  });

  /** A 400 problem that names exactly these paths, and nothing written. */
  const expect400 = async (method: string, path: string, body: unknown, paths: string[] | null, headers?: Record<string, string>) => {
    const before = await rows();
    const res = await call(method, path, body, headers);
    expect(res.status, JSON.stringify(res.body)).toBe(400);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    if (paths) expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual(paths);
    expect(await rows()).toEqual(before);
    return res.body;
  };

  describe('NUL (U+0000), which Postgres text and jsonb refuse', () => {
    it.each([
      ['GET', '/v1/runs/%00', 'param.id'],
      ['GET', '/v1/pipelines/a%00b', 'param.id'],
      ['GET', '/v1/idempotency/k%00', 'param.key'],
      ['DELETE', '/v1/dlq/%00', 'param.id'],
      ['GET', '/v1/tasks/%00/history', 'param.id'],
    ])('in a path parameter: %s %s', async (method, path, field) => {
      const body = await expect400(method, path, undefined, [field]);
      expect(body.errors[0].message).toMatch(/NUL/);
    });

    it('in a string field, free JSON, an array item, a label and a key', async () => {
      await expect400('PUT', '/v1/idempotency/k', { result: '\u0000' }, ['result']);
      await expect400('POST', `/v1/pipelines/${pipeline.id}/runs`, { input: { a: ['ok', 'x\u0000'] } }, ['input.a.1']);
      await expect400('PATCH', `/v1/runs/${runId}`, { stageResults: { 's\u0000': 1 } }, ['stageResults.s\\u0000']);
      await expect400('PATCH', `/v1/runs/${runId}`, { error: { message: 'a\u0000b' } }, ['error.message']);
      await expect400('PATCH', `/v1/task-runs/${taskRunId}`, { messages: ['fine', '\u0000'] }, ['messages.1']);
      await expect400('PATCH', `/v1/pipelines/${pipeline.id}`, { labels: { team: 'a\u0000' } }, ['labels.team']);
      await expect400('POST', `/v1/runs/${runId}/cancel`, { reason: '\u0000' }, ['reason']);
    });

    it('in a query parameter', async () => {
      await expect400('GET', '/v1/pipelines?cursor=%00', undefined, ['query.cursor']);
      await expect400('GET', `/v1/pipelines/${pipeline.id}/runs?status=%00`, undefined, null);
    });
  });

  describe('lone UTF-16 surrogates, which have no UTF-8 form', () => {
    it('are refused in plain string fields instead of being stored as U+FFFD', async () => {
      const body = await expect400('PATCH', `/v1/pipelines/${pipeline.id}`, { description: 'caf\ud800' }, ['description']);
      expect(body.errors[0].message).toMatch(/surrogate/);
      expect((await call('GET', `/v1/pipelines/${pipeline.id}`)).body.description).toBeNull();
    });

    it('are refused in definitions and free JSON, values and keys', async () => {
      const definition = { stages: [{ id: 'a', config: { k: '\udc00' } }] };
      await expect400('POST', `/v1/pipelines/${pipeline.id}/versions`, { definition }, ['definition.stages.0.config.k']);
      await expect400('POST', '/v1/pipelines', { name: 'surrogate', definition }, ['definition.stages.0.config.k']);
      await expect400('POST', `/v1/pipelines/${pipeline.id}/runs`, { input: { '\ud800': 1 } }, ['input.\\ud800']);
      await expect400('PUT', '/v1/idempotency/k', { result: ['x\ud83d'] }, ['result.0']);
    });

    it('a proper surrogate pair round-trips exactly', async () => {
      const input = { emoji: '💥 ok', '🔑': ['é', '𝄞'] };
      const run = await call('POST', `/v1/pipelines/${pipeline.id}/runs`, { input });
      expect(run.status).toBe(201);
      expect((await call('GET', `/v1/runs/${run.body.id}`)).body.input).toEqual(input);
    });
  });

  describe('integers: every one fits its int4 column', () => {
    it('an If-Match beyond int4 is a stale ETag (412), or 404 when there is nothing to match', async () => {
      for (const tag of ['"2147483648"', '"99999999999999999999"']) {
        const res = await call('PATCH', `/v1/pipelines/${pipeline.id}`, { description: 'x' }, { 'If-Match': tag });
        expect(res.status).toBe(412);
        expect(res.body.currentRevision).toBe(pipeline.revision);
        expect((await call('PATCH', `/v1/runs/${runId}`, { currentStage: 'fetch' }, { 'If-Match': tag })).status).toBe(412);
        expect((await call('DELETE', `/v1/pipelines/${pipeline.id}`, undefined, { 'If-Match': tag })).status).toBe(412);
        expect((await call('DELETE', '/v1/pipelines/pl_unknown', undefined, { 'If-Match': tag })).status).toBe(404);
      }
      await expect400('PATCH', `/v1/pipelines/${pipeline.id}`, { description: 'x' }, ['header.if-match'], { 'If-Match': '"3a"' });
    });

    it('version numbers above 2^31-1 are 400 in bodies and 404 in paths', async () => {
      await expect400('POST', `/v1/pipelines/${pipeline.id}/activate`, { version: 2 ** 31 }, ['version']);
      await expect400('POST', `/v1/pipelines/${pipeline.id}/runs`, { version: 2 ** 31 }, ['version']);
      expect((await call('POST', `/v1/pipelines/${pipeline.id}/activate`, { version: INT4_MAX })).status).toBe(404);
      expect((await call('POST', `/v1/pipelines/${pipeline.id}/runs`, { version: INT4_MAX })).status).toBe(404);
      for (const n of ['2147483648', '99999999999999999999']) {
        expect((await call('GET', `/v1/pipelines/${pipeline.id}/versions/${n}`)).status).toBe(404);
      }
    });

    it.each(['0x10', '1e2', '%2B5', '%205', '5.0', '-1', '', '10000000000'])('limit=%s is 400: decimal digits only', async (limit) => {
      await expect400('GET', `/v1/pipelines?limit=${limit}`, undefined, ['query.limit']);
    });

    it('limit=007 is seven', async () => {
      expect((await call('GET', '/v1/pipelines?limit=007')).status).toBe(200);
    });

    it('the document gives every integer a request can carry a maximum that fits int4', async () => {
      const doc = (await api.call('GET', '/openapi.json')).body;
      const unbounded: string[] = [];
      const visit = (schema: any, where: string): void => {
        if (!schema || typeof schema !== 'object') return;
        if (schema.$ref) {
          visit(doc.components.schemas[schema.$ref.split('/').pop()], `${where}>${schema.$ref}`);
          return;
        }
        const types = [schema.type].flat();
        if (types.includes('integer') && !(typeof schema.maximum === 'number' && schema.maximum <= INT4_MAX)) unbounded.push(where);
        for (const key of ['properties', 'patternProperties']) for (const [k, v] of Object.entries(schema[key] ?? {})) visit(v, `${where}.${k}`);
        for (const key of ['items', 'additionalProperties']) visit(schema[key], `${where}.${key}`);
        for (const key of ['anyOf', 'oneOf', 'allOf']) for (const [i, v] of ((schema[key] ?? []) as unknown[]).entries()) visit(v, `${where}.${key}${i}`);
      };
      for (const [path, ops] of Object.entries<any>(doc.paths)) {
        for (const [method, op] of Object.entries<any>(ops)) {
          for (const p of op.parameters ?? []) visit(p.schema, `${method} ${path} ${p.in}.${p.name}`);
          visit(op.requestBody?.content?.['application/json']?.schema, `${method} ${path} body`);
        }
      }
      expect(unbounded).toEqual([]);
    });
  });

  describe(`nesting depth: at most ${MAX_JSON_DEPTH} levels, refused before anything recursive runs`, () => {
    it(`a body ${MAX_JSON_DEPTH} levels deep is accepted and stored`, async () => {
      const input = nested(MAX_JSON_DEPTH - 2); // the body object and `input` are two levels
      const run = await call('POST', `/v1/pipelines/${pipeline.id}/runs`, { input });
      expect(run.status).toBe(201);
      expect(run.body.input).toEqual(input);
    });

    it.each([MAX_JSON_DEPTH + 1, 5_000, 100_000])('a body %i levels deep is 400', async (depth) => {
      const text = `{"input":${'['.repeat(depth - 1)}${']'.repeat(depth - 1)}}`;
      const body = await expect400('POST', `/v1/pipelines/${pipeline.id}/runs`, text, null);
      expect(body.code).toBe('json_too_deep');
      expect(body.detail).toContain(String(MAX_JSON_DEPTH));
    });

    it('also with an Idempotency-Key, and in every free-JSON field', async () => {
      const deep = `${'{"a":'.repeat(5_000)}1${'}'.repeat(5_000)}`;
      await expect400('POST', `/v1/pipelines/${pipeline.id}/runs`, `{"input":${deep}}`, null, { 'Idempotency-Key': 'deep-1' });
      await expect400('PUT', '/v1/idempotency/deep', `{"result":${deep}}`, null);
      await expect400('PATCH', `/v1/runs/${runId}`, `{"output":${deep}}`, null);
      await expect400('PATCH', `/v1/task-runs/${taskRunId}`, `{"error":${deep}}`, null);
    });

    it('brackets inside strings do not count', async () => {
      const input = { text: '['.repeat(1_000) };
      expect((await call('POST', `/v1/pipelines/${pipeline.id}/runs`, { input })).status).toBe(201);
    });
  });

  describe('dates: years 0001-9999, RFC 3339', () => {
    it.each(['+099999-01-01T00:00:00Z', 8.64e15, '0000-12-31T23:00:00Z', '2024-02-30T00:00:00Z', 'tomorrow', '2030-01-01'])(
      'a key expiresAt of %j is 400',
      async (expiresAt) => {
        const res = await api.call('POST', `/v1/projects/${project.id}/keys`, { token: ADMIN_TOKEN, body: { expiresAt } });
        expect(res.status).toBe(400);
        expect(res.body.errors).toEqual([{ path: 'expiresAt', message: expect.any(String) }]);
      },
    );

    it('the last representable instant works and is returned in UTC', async () => {
      const res = await api.call('POST', `/v1/projects/${project.id}/keys`, {
        token: ADMIN_TOKEN,
        body: { expiresAt: '9999-12-31T23:59:59.999+00:00' },
      });
      expect(res.status).toBe(201);
      expect(res.body.expiresAt).toBe('9999-12-31T23:59:59.999Z');
    });
  });

  describe('cursors: signed, range-checked, bound to their list', () => {
    const listTwice = async (path: string) => {
      const first = await call('GET', `${path}${path.includes('?') ? '&' : '?'}limit=1`);
      expect(first.status).toBe(200);
      expect(first.body.nextCursor).toEqual(expect.any(String));
      return first.body.nextCursor as string;
    };

    it('a cursor minted with the old unkeyed checksum, or edited, is 400', async () => {
      const { createHash } = await import('node:crypto');
      const payload = Buffer.from(JSON.stringify(['pipelines', '1999-01-01T00:00:00.000Z', 'pl_x'])).toString('base64url');
      const unkeyed = `${payload}.${createHash('sha256').update(payload).digest('base64url').slice(0, 12)}`;
      await newPipeline(api, project.key);
      const genuine = await listTwice('/v1/pipelines');
      const edited = `${genuine.slice(0, -3)}${genuine.at(-3) === 'A' ? 'B' : 'A'}${genuine.slice(-2)}`;
      for (const bad of [unkeyed, edited, `${payload}.${genuine.split('.')[1]}`]) {
        await expect400('GET', `/v1/pipelines?cursor=${encodeURIComponent(bad)}`, undefined, ['query.cursor']);
      }
    });

    it('a signed cursor carrying a value out of range is 400, not a 500 from the statement', async () => {
      const cursors = [
        ['/v1/pipelines', encodeKey('pipelines', ['+275760-09-13T00:00:00.000Z', 'pl_x'])],
        ['/v1/pipelines', encodeKey('pipelines', ['0000-01-01T00:00:00.000Z', 'pl_x'])],
        ['/v1/pipelines', encodeKey('pipelines', ['2020-01-01T00:00:00.000Z', 'pl_\u0000'])],
        ['/v1/pipelines', encodeKey('pipelines', ['2020-01-01T00:00:00.000Z', 'x'.repeat(101)])],
        [`/v1/pipelines/${pipeline.id}/versions`, encodeKey('versions', [2 ** 31])],
        [`/v1/pipelines/${pipeline.id}/versions`, encodeKey('versions', [1.5])],
        [`/v1/pipelines/${pipeline.id}/runs`, encodeKey('runs', [8.64e15, 'run_x'])],
      ] as const;
      for (const [path, cursor] of cursors) await expect400('GET', `${path}?cursor=${encodeURIComponent(cursor)}`, undefined, ['query.cursor']);
    });

    it('a list under an unknown parent is 404 with a cursor as without one', async () => {
      await call('POST', `/v1/pipelines/${pipeline.id}/runs`, {});
      const runsCursor = await listTwice(`/v1/pipelines/${pipeline.id}/runs`);
      expect((await call('GET', `/v1/pipelines/pl_unknown/runs?cursor=${encodeURIComponent(runsCursor)}`)).status).toBe(404);

      await call('POST', `/v1/runs/${runId}/tasks`, { stageId: 'build', taskId: 'compile' });
      const tasksCursor = await listTwice(`/v1/runs/${runId}/tasks`);
      expect((await call('GET', `/v1/runs/run_unknown/tasks?cursor=${encodeURIComponent(tasksCursor)}`)).status).toBe(404);

      const historyCursor = encodeKey('task-history', ['2020-01-01T00:00:00.000Z', 'tch_x']);
      expect((await call('GET', `/v1/tasks/no.such.task/history?cursor=${encodeURIComponent(historyCursor)}`)).status).toBe(404);

      const versionsCursor = encodeKey('versions', [5]);
      expect((await call('GET', `/v1/pipelines/pl_unknown/versions?cursor=${encodeURIComponent(versionsCursor)}`)).status).toBe(404);
    });
  });
});
