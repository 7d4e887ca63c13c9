/**
 * A paused Aurora cluster (scaled to 0 ACU): the local Data API endpoint answers
 * DatabaseResumingException for a while after a request wakes it, as the service does. The API
 * answers 503 with Retry-After at once and lets the client come back; the bundled migrator,
 * cleanup and scheduler functions, each in its own process, wait for the resume within their time
 * budget, and when the budget runs out first, cleanup and the tick end cleanly and say so.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../functions/config';
import { pipelineRuns } from '../../db/schema';
import { createApp } from '../../functions/api/app';
import { bundleEntry, type BuiltFunction } from '../../infra/build';
import { lambdaFunction, MIGRATIONS_SOURCE } from '../../infra/bundling';
import { scheduleSince, scheduledProject } from '../schedules/support';
import { startBackend, type HandlerBackend } from './support/backends';
import { schedulerEvent } from './support/events';
import { lambdaEnv, startLambda, type LambdaProcess } from './support/lambda-process';

const ADMIN_TOKEN = 'paused-cluster-admin-token';
const ROOT = join(import.meta.dirname, '../..');
const MIGRATIONS: string[] = JSON.parse(readFileSync(join(ROOT, MIGRATIONS_SOURCE, 'meta/_journal.json'), 'utf8')).entries.map((e: { tag: string }) => e.tag);
/** Short next to Aurora's ~15 s, long enough for the handlers' 2 s pause between attempts. */
const RESUME_MS = 4_000;
const FUNCTIONS = ['migrate', 'cleanup', 'scheduler'] as const;

let outDir: string;
const bundles = {} as Record<(typeof FUNCTIONS)[number], BuiltFunction>;

// Three bundles, one after the other: a minute or more on a busy 2-core machine.
beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'pipestore-paused-'));
  for (const name of FUNCTIONS) bundles[name] = await bundleEntry(lambdaFunction(name).entry, outDir, name);
}, 300_000);
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

// The cases run in order: the migrator creates the schema the others use.
describe('a paused cluster behind the Data API', { timeout: 90_000 }, () => {
  let backend: HandlerBackend;
  const lambdas = new Map<string, LambdaProcess>();
  /** One warm container per function, as Lambda keeps between invocations. */
  const lambda = async (name: (typeof FUNCTIONS)[number]) => {
    if (!lambdas.has(name)) {
      const env = { ...backend.env, MIGRATIONS_DIR: join(ROOT, MIGRATIONS_SOURCE), STALE_RUN_AFTER_S: '600' };
      lambdas.set(name, await startLambda(bundles[name].file, lambdaEnv(`pipestore-${name}`, env), outDir));
    }
    return lambdas.get(name)!;
  };

  beforeAll(async () => {
    backend = await startBackend('data-api', 'paused');
  });
  afterAll(async () => {
    for (const process of lambdas.values()) await process.stop();
    await backend?.teardown();
  });
  const cluster = () => backend.dataApi!;

  it('migrator: waits for the resume, then applies the migrations', async () => {
    cluster().pause(RESUME_MS);
    const refusedBefore = cluster().resumingRefusals;
    const migrator = await lambda('migrate');
    const started = performance.now();
    const summary = await migrator.invoke({ trigger: 'deploy', deployedAt: new Date().toISOString() }, { timeoutMs: 60_000 });
    expect(summary).toMatchObject({ status: 'applied', applied: MIGRATIONS, total: MIGRATIONS.length });
    expect(performance.now() - started).toBeGreaterThanOrEqual(RESUME_MS - 100);
    expect(cluster().resumingRefusals).toBeGreaterThan(refusedBefore);
    expect(migrator.output()).toMatch(/"msg":"database unavailable, retrying".*DatabaseResumingException/);
  });

  it('API: 503 with Retry-After at once while the cluster resumes, then serves', async () => {
    const app = createApp({ database: backend.database, config: loadConfig({ ADMIN_TOKEN, LOG_LEVEL: 'silent', CACHE_MAX_ENTRIES: '0' }) });
    const call = (method: string, path: string, token: string, body?: unknown) =>
      app.request(path, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
    const project = await (await call('POST', '/v1/projects', ADMIN_TOKEN, { name: 'paused' })).json();
    const { key } = await (await call('POST', `/v1/projects/${project.id}/keys`, ADMIN_TOKEN, {})).json();

    cluster().pause(RESUME_MS);
    const paused = performance.now();
    for (const [method, path, body] of [
      ['POST', '/v1/pipelines', { name: 'woken', definition: { stages: [{ id: 's' }] } }],
      ['GET', '/v1/pipelines', undefined],
    ] as const) {
      const started = performance.now();
      const res = await call(method, path, key, body);
      expect(performance.now() - started, `${method} ${path} answered at once`).toBeLessThan(2_000);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(await res.json()).toMatchObject({ code: 'database_unavailable' });
    }
    // The client comes back after Retry-After: the cluster is up by then.
    await new Promise((r) => setTimeout(r, Math.max(0, RESUME_MS - (performance.now() - paused)) + 200));
    expect((await call('POST', '/v1/pipelines', key, { name: 'woken', definition: { stages: [{ id: 's' }] } })).status).toBe(201);
  });

  it('cleanup: waits for the resume within its budget and reports the retries', async () => {
    cluster().pause(RESUME_MS);
    const result = await (await lambda('cleanup')).invoke(schedulerEvent(), { timeoutMs: 30_000 });
    expect(result).toMatchObject({ complete: true, dryRun: false, databaseRetries: expect.any(Number) });
    expect((result as { databaseRetries: number }).databaseRetries).toBeGreaterThanOrEqual(1);
  });

  it('cleanup: a resume longer than its budget ends the invocation cleanly, saying so', async () => {
    cluster().pause(60_000);
    try {
      // A 9 s invocation keeps 5 s back: 4 s of budget, two attempts.
      const cleanup = await lambda('cleanup');
      const result = await cleanup.invoke(schedulerEvent(), { timeoutMs: 9_000 });
      expect(result).toMatchObject({ complete: false, databaseUnavailable: true, databaseRetries: 1, waitedMs: expect.any(Number) });
      expect(cleanup.output()).toMatch(/"level":"error".*"msg":"cleanup: the database stayed unavailable until the deadline[^"]*".*"executionId":"[0-9a-f-]+"/);
    } finally {
      cluster().resume();
    }
  });

  it('schedule tick: fires the due slot once the cluster is back; a resume past its deadline ends cleanly', async () => {
    const { db } = backend.database;
    const p = await scheduledProject(db);
    const minutely = await p.pipeline('* * * * *');
    await scheduleSince(db, minutely.id, new Date(Math.floor(Date.now() / 60_000) * 60_000 - 90_000));
    const scheduler = await lambda('scheduler');

    cluster().pause(60_000);
    try {
      const gaveUp = await scheduler.invoke(schedulerEvent(), { timeoutMs: 9_000 });
      expect(gaveUp).toMatchObject({ complete: false, databaseUnavailable: true, databaseRetries: 1 });
      expect(scheduler.output()).toMatch(/"level":"error".*"msg":"scheduler: the database stayed unavailable/);
    } finally {
      cluster().resume();
    }
    expect(await db.select().from(pipelineRuns).where(eq(pipelineRuns.projectId, p.projectId))).toEqual([]);

    cluster().pause(RESUME_MS);
    const fired = await scheduler.invoke(schedulerEvent(), { timeoutMs: 30_000 });
    expect(fired).toMatchObject({ complete: true, fired: 1 });
    expect((fired as { databaseRetries: number }).databaseRetries).toBeGreaterThanOrEqual(1);
    expect(await db.select().from(pipelineRuns).where(eq(pipelineRuns.projectId, p.projectId))).toHaveLength(1);
  });
});
