/**
 * The bundled Lambda functions (what `npm run build` and SST produce), each loaded in a fresh
 * `node` process and invoked with real-shaped events, on every driver a deployment can use:
 * the migrator creates the schema on an empty database and is a no-op the second time, the API
 * answers API Gateway v2 events exactly as app.request() answers the same requests, and the
 * cleanup function handles the schedule's events.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { count, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../functions/config';
import { dlq, idempotencyKeys, pipelineRuns } from '../../db/schema';
import { createApp } from '../../functions/api/app';
import { API_RESOURCES } from '../../functions/api/resources';
import type { CleanupResult } from '../../functions/core/cleanup';
import { buildFunctions, loadedOutputs, type BuiltFunction, type BuiltOutput } from '../../infra/build';
import { HANDLER_BACKENDS, startBackend, type HandlerBackend } from './support/backends';
import { apiGatewayV2Event, eventBridgeScheduledEvent, schedulerEvent, type HttpRequest } from './support/events';
import { lambdaEnv, startLambda, type LambdaProcess } from './support/lambda-process';

const ADMIN_TOKEN = 'handler-test-admin-token-0123';
/** Source files of each database driver in a bundle's metafile. */
const PG_DRIVER = /node_modules\/(pg|pg-pool|pg-protocol|pg-types|pg-connection-string|pgpass)\/|node_modules\/drizzle-orm\/node-postgres\//;
const DATA_API_DRIVER = /node_modules\/(@aws-sdk|@smithy)\/|node_modules\/drizzle-orm\/aws-data-api\//;
const EMBEDDED_DRIVER = /@electric-sql|drizzle-orm\/pglite/;
/** Tags of the repository's migrations, oldest first: what the migrator applies to an empty database. */
const MIGRATIONS: string[] = JSON.parse(readFileSync(join(import.meta.dirname, '../../db/migrations/meta/_journal.json'), 'utf8')).entries.map(
  (e: { tag: string }) => e.tag,
);
const definition = (task: string) => ({ stages: [{ id: 'build', tasks: [{ id: 'compile', task }] }] });

let outDir: string;
let bundles: Record<string, BuiltFunction>;

// Four bundles, one after the other: minutes on a busy 2-core machine.
beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'pipestore-handlers-'));
  bundles = await buildFunctions(outDir);
}, 300_000);
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

interface Answer {
  status: number;
  headers: Record<string, string>;
  body: unknown;
}

/** Volatile parts only: the request id, and the timing and cache counters of /health. */
function normalize(answer: Answer): Answer {
  const headers = Object.fromEntries(
    Object.entries(answer.headers)
      .map(([k, v]) => [k.toLowerCase(), v] as const)
      .filter(([k]) => k !== 'x-request-id'),
  );
  const body = structuredClone(answer.body) as Record<string, any> | undefined;
  if (body && typeof body === 'object') {
    if ('requestId' in body) body.requestId = '<request-id>';
    if (body.database?.latencyMs !== undefined) body.database.latencyMs = '<ms>';
    if (body.cache) body.cache = '<cache>';
  }
  return { status: answer.status, headers, body };
}

const parse = (text: string, type = '') => (text && type.includes('json') ? JSON.parse(text) : text);

describe('the bundles', () => {
  it('are self-contained ESM files (an entry and its chunks) without PGlite, and the migrator carries its migrations', () => {
    for (const fn of Object.values(bundles)) {
      expect(
        fn.inputs.filter((input) => EMBEDDED_DRIVER.test(input)),
        fn.name,
      ).toEqual([]);
      expect(fn.totalBytes, fn.name).toBeLessThan(3 * 1024 * 1024);
      const dir = dirname(fn.file);
      expect(readdirSync(dir).sort()).toEqual([...fn.outputs.map((o) => basename(o.file)), ...(fn.name === 'migrate' ? ['migrations'] : [])].sort());
      expect(basename(fn.outputs[0]!.file)).toBe('index.mjs');
    }
    expect(readdirSync(join(outDir, 'migrate', 'migrations')).sort()).toEqual(readdirSync(join(import.meta.dirname, '../../db/migrations')).sort());
  });

  it('load only the database driver the configuration selects (each is in chunks of its own), and zod in English only', () => {
    const sources = (outputs: BuiltOutput[]) => outputs.flatMap((o) => o.inputs);
    for (const fn of Object.values(bundles)) {
      // Both drivers are shipped…
      expect(
        fn.inputs.some((input) => DATA_API_DRIVER.test(input)),
        fn.name,
      ).toBe(true);
      expect(
        fn.inputs.some((input) => PG_DRIVER.test(input)),
        fn.name,
      ).toBe(true);
      // … but a cold start on node-postgres never loads the AWS SDK, and one on the Data API never loads pg.
      const onPg = sources(loadedOutputs(fn, DATA_API_DRIVER));
      const onDataApi = sources(loadedOutputs(fn, PG_DRIVER));
      expect(
        onPg.filter((input) => DATA_API_DRIVER.test(input)),
        fn.name,
      ).toEqual([]);
      expect(
        onPg.some((input) => PG_DRIVER.test(input)),
        fn.name,
      ).toBe(true);
      expect(
        onDataApi.filter((input) => PG_DRIVER.test(input)),
        fn.name,
      ).toEqual([]);
      expect(
        onDataApi.some((input) => DATA_API_DRIVER.test(input)),
        fn.name,
      ).toBe(true);
      // infra/esbuild-plugins.mjs: zod's other locales are never shipped.
      const locales = fn.inputs.filter((input) => input.includes('node_modules/zod/v4/locales/'));
      expect(
        locales.filter((input) => !/\/(en|index)\.js$/.test(input)),
        fn.name,
      ).toEqual([]);
    }
  });

  it('API: init loads no resource routes, no OpenAPI document and no console: each is a chunk loaded on its first request', () => {
    const api = bundles.api!;
    const byFile = new Map(api.outputs.map((o) => [o.file, o]));
    const staticClosure = (from: BuiltOutput, seen = new Set<BuiltOutput>()): Set<BuiltOutput> => {
      if (seen.has(from)) return seen;
      seen.add(from);
      for (const i of from.imports) if (!i.dynamic) staticClosure(byFile.get(i.file)!, seen);
      return seen;
    };
    // Init runs the entry and imports the app module (functions/handlers/api.ts).
    const appChunk = api.outputs.find((o) => o.inputs.includes('functions/api/app.ts'))!;
    const atInit = [...staticClosure(api.outputs[0]!), ...staticClosure(appChunk)].flatMap((o) => o.inputs);
    const lazy = /functions\/api\/routes\/(?!health\.ts)|functions\/api\/generated\/|functions\/console\//;
    expect(atInit.filter((input) => lazy.test(input))).toEqual([]);
    // … and they are all shipped.
    for (const module of ['functions/api/routes/runs.ts', 'functions/api/generated/openapi.json', 'functions/console/app.tsx']) {
      expect(api.inputs).toContain(module);
    }
  });

  it('API: opens its database connection during init, and a database that does not answer fails requests, not init', async () => {
    // Nothing listens on port 1: the connection opened at init is refused, which the API logs and
    // leaves to the requests (pingDatabase answers 503), as without the early connection.
    const lambda = await startLambda(bundles.api!.file, lambdaEnv('pipestore-api', { DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none' }), outDir);
    try {
      await vi.waitFor(() => expect(lambda.output()).toMatch(/"msg":"database connection at init failed"/));
      const health = await lambda.invoke<{ statusCode: number; body: string }>(apiGatewayV2Event({ method: 'GET', path: '/health' }));
      expect(health.statusCode).toBe(503);
      expect(JSON.parse(health.body)).toMatchObject({ status: 'unavailable', database: { driver: 'pg', reachable: false } });
    } finally {
      await lambda.stop();
    }
  });

  it('fail at init, naming what is missing or wrong, before taking any request', async () => {
    await expect(startLambda(bundles.api!.file, lambdaEnv('pipestore-api', {}), outDir)).rejects.toThrow(/no database configured/);
    await expect(
      startLambda(bundles.cleanup!.file, lambdaEnv('pipestore-cleanup', { DATABASE_URL: 'postgres://x/y', STALE_RUN_AFTER_S: '0' }), outDir),
    ).rejects.toThrow(/STALE_RUN_AFTER_S: expected an integer/);
  });
});

// The cases of one backend run in order: the migrator creates the schema the others use.
describe.each(HANDLER_BACKENDS)('bundled handlers on %s', (backendName) => {
  let backend: HandlerBackend;
  const processes: LambdaProcess[] = [];
  const start = async (fn: string, env: Record<string, string>) => {
    const lambda = await startLambda(bundles[fn]!.file, lambdaEnv(`pipestore-${fn}`, env), outDir);
    processes.push(lambda);
    return lambda;
  };

  beforeAll(async () => {
    backend = await startBackend(backendName, 'handlers');
  });
  afterAll(async () => {
    for (const p of processes) await p.stop();
    await backend?.teardown();
  });

  it('migrator: creates the schema on an empty database, then changes nothing', async () => {
    const tables = async () =>
      (await backend.database.db.select({ n: count() }).from(sql`information_schema.tables`).where(sql`table_schema = 'public'`))[0]!.n;
    expect(await tables()).toBe(0);

    const migrator = await start('migrate', backend.env);
    const first = await migrator.invoke<Record<string, unknown>>({ trigger: 'deploy', deployedAt: new Date().toISOString() });
    expect(first).toMatchObject({ status: 'applied', applied: MIGRATIONS, total: MIGRATIONS.length, driver: backendName });
    expect(await tables()).toBeGreaterThanOrEqual(10);

    // A new container for the next deploy, as the Invocation resource would get.
    const again = await start('migrate', backend.env);
    expect(await again.invoke({})).toMatchObject({ status: 'up-to-date', applied: [], total: MIGRATIONS.length });
    await vi.waitFor(() => expect(migrator.output()).toMatch(/"msg":"migrations"/));
  });

  it('API: answers API Gateway v2 events as app.request() answers the same requests', async () => {
    // Configured through SST links here (the migrator and cleanup use plain variables).
    const lambda = await start('api', { ...backend.links, SST_RESOURCE_AdminToken: JSON.stringify({ value: ADMIN_TOKEN }) });
    const app = createApp({ database: backend.database, config: loadConfig({ ADMIN_TOKEN, LOG_LEVEL: 'silent' }) });

    const viaLambda = async (req: HttpRequest): Promise<Answer> => {
      const res = await lambda.invoke<{ statusCode: number; headers: Record<string, string>; body: string; isBase64Encoded: boolean }>(apiGatewayV2Event(req));
      expect(res.isBase64Encoded).toBe(false);
      return { status: res.statusCode, headers: res.headers, body: parse(res.body, res.headers['content-type']) };
    };
    const viaApp = async (req: HttpRequest): Promise<Answer> => {
      const res = await app.request(req.path, { method: req.method, headers: req.headers, body: req.body });
      return { status: res.status, headers: Object.fromEntries(res.headers), body: parse(await res.text(), res.headers.get('content-type') ?? '') };
    };
    const same = async (req: HttpRequest) => {
      const lambdaAnswer = normalize(await viaLambda(req));
      expect(lambdaAnswer).toEqual(normalize(await viaApp(req)));
      return lambdaAnswer;
    };
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const json = { 'content-type': 'application/json' };

    expect((await same({ method: 'GET', path: '/health' })).body).toMatchObject({ status: 'ok', database: { driver: backendName } });

    const project = await viaLambda({ method: 'POST', path: '/v1/projects', headers: { ...admin, ...json }, body: JSON.stringify({ name: 'lambda' }) });
    expect(project.status).toBe(201);
    const projectId = (project.body as { id: string }).id;
    await same({ method: 'GET', path: '/v1/projects?limit=10', headers: admin });
    // Path parameter, and an empty JSON body.
    const key = await viaLambda({ method: 'POST', path: `/v1/projects/${projectId}/keys`, headers: { ...admin, ...json }, body: '{}' });
    expect(key.status).toBe(201);
    const auth = { authorization: `Bearer ${(key.body as { key: string }).key}` };

    // A base64-encoded body (API Gateway encodes bodies of binary media types).
    const created = await viaLambda({
      method: 'POST',
      path: '/v1/pipelines',
      headers: { ...auth, ...json },
      body: JSON.stringify({ name: 'from-lambda', description: 'über ✓', definition: definition('compile') }),
      base64: true,
    });
    expect(created).toMatchObject({ status: 201, body: { name: 'from-lambda', description: 'über ✓' } });
    expect(created.headers.etag).toBe('"1"');
    const pipelineId = (created.body as { id: string }).id;
    await viaLambda({
      method: 'POST',
      path: '/v1/pipelines',
      headers: { ...auth, ...json },
      body: JSON.stringify({ name: 'second', definition: definition('x') }),
    });

    // Path parameters (by id and by name) and the catch-all proxy route shape.
    await same({ method: 'GET', path: `/v1/pipelines/${pipelineId}`, headers: auth });
    await same({ method: 'GET', path: '/v1/pipelines/from-lambda', headers: auth, routeKey: 'ANY /{proxy+}' });
    // Query strings, and the cursor the first page hands out.
    const page = await same({ method: 'GET', path: '/v1/pipelines?limit=1', headers: auth });
    const cursor = (page.body as { nextCursor: string }).nextCursor;
    expect(cursor).toEqual(expect.any(String));
    expect((await same({ method: 'GET', path: `/v1/pipelines?limit=1&cursor=${encodeURIComponent(cursor)}`, headers: auth })).body).toMatchObject({
      items: [{ name: 'second' }],
    });
    // POST with a body through both: an existing definition is the existing version (200).
    const existing = await same({
      method: 'POST',
      path: `/v1/pipelines/${pipelineId}/versions`,
      headers: { ...auth, ...json },
      body: JSON.stringify({ definition: definition('compile') }),
    });
    expect(existing.status).toBe(200);
    // Conditional request headers, and problem+json answers.
    expect(
      (await same({ method: 'PATCH', path: `/v1/pipelines/${pipelineId}`, headers: { ...auth, ...json, 'if-match': '"7"' }, body: '{"description":"x"}' }))
        .status,
    ).toBe(412);
    expect((await same({ method: 'GET', path: '/v1/pipelines?limit=0', headers: auth })).status).toBe(400);
    expect((await same({ method: 'GET', path: '/v1/pipelines', headers: { authorization: 'Bearer nope' } })).status).toBe(401);
    expect((await same({ method: 'GET', path: '/v1/nowhere', headers: auth })).status).toBe(404);
    // Every resource's app is built by its first request: each loads its modules in the bundle (an
    // evaluation order that differs from the sources' would fail here, as a 500) and answers as the app.
    for (const { prefix, paths } of API_RESOURCES) {
      const path = (paths?.[0] ?? prefix).replace(':id', pipelineId).replace(':a', '1').replace(':b', '1');
      const answer = await same({ method: 'GET', path, headers: prefix === '/v1/projects' ? admin : auth });
      expect(answer.status, path).toBeLessThan(500);
    }

    // An Idempotency-Key POST through the Lambda, retried through the app: the stored response.
    const request = {
      method: 'POST',
      path: `/v1/pipelines/${pipelineId}/versions`,
      headers: { ...auth, ...json, 'idempotency-key': 'v2-once' },
      body: JSON.stringify({ definition: definition('v2') }),
    };
    const original = await viaLambda(request);
    const replay = await viaApp(request);
    expect(original.status).toBe(201);
    expect(replay).toMatchObject({ status: 201, body: original.body, headers: { 'idempotent-replayed': 'true' } });
  });

  it('cleanup: handles the CronV2 schedule event and a classic EventBridge scheduled event', async () => {
    const { db } = backend.database;
    const app = createApp({ database: backend.database, config: loadConfig({ ADMIN_TOKEN, LOG_LEVEL: 'silent' }) });
    const project = await (
      await app.request('/v1/projects', {
        method: 'POST',
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        body: '{"name":"cleanup"}',
      })
    ).json();
    const old = new Date(Date.now() - 3_600_000);
    await db.insert(idempotencyKeys).values([
      { projectId: project.id, scope: 'task', key: 'expired-1', state: 'completed', expiresAt: old },
      { projectId: project.id, scope: 'task', key: 'expired-2', state: 'completed', expiresAt: old },
      { projectId: project.id, scope: 'task', key: 'live', state: 'completed', expiresAt: new Date(Date.now() + 3_600_000) },
    ]);

    const cleanup = await start('cleanup', { ...backend.env, STALE_RUN_AFTER_S: '600', DLQ_RETENTION_DAYS: '30' });
    const dry = await cleanup.invoke<CleanupResult>(schedulerEvent({ dryRun: true }));
    expect(dry).toMatchObject({ dryRun: true, complete: true, steps: { expiredIdempotencyKeys: 2 } });

    const result = await cleanup.invoke<CleanupResult>(schedulerEvent(), { timeoutMs: 60_000 });
    expect(result).toMatchObject({
      complete: true,
      dryRun: false,
      skipped: ['terminalRuns'],
      steps: { expiredIdempotencyKeys: 2, dlqEntries: 0, staleRunsTimedOut: 0, terminalRuns: 0 },
    });
    const left = await db.select({ key: idempotencyKeys.key }).from(idempotencyKeys).where(sql`${idempotencyKeys.projectId} = ${project.id}`);
    expect(left).toEqual([{ key: 'live' }]);

    const second = await cleanup.invoke<CleanupResult>(eventBridgeScheduledEvent());
    expect(second).toMatchObject({ complete: true, steps: { expiredIdempotencyKeys: 0 } });
    // A budget that is already spent (the function timed out at once): nothing done, not complete.
    expect(await cleanup.invoke<CleanupResult>(schedulerEvent(), { timeoutMs: 1_000 })).toMatchObject({ complete: false, batches: 0 });

    // One JSON line per invocation; stdout is its own pipe, so it may trail the IPC results.
    const lines = () =>
      cleanup
        .output()
        .split('\n')
        .filter((l) => l.includes('"msg":"cleanup"'));
    await vi.waitFor(() => expect(lines()).toHaveLength(4));
    expect(JSON.parse(lines()[1]!)).toMatchObject({ level: 'info', complete: true, steps: { expiredIdempotencyKeys: 2 }, executionId: expect.any(String) });
    await expect(cleanup.invoke({ dryRun: 'yes' })).rejects.toThrow(/unexpected event: dryRun/);
    expect((await db.select({ n: count() }).from(pipelineRuns))[0]!.n + (await db.select({ n: count() }).from(dlq))[0]!.n).toBe(0);
  });
});
