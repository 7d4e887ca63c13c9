/**
 * Round trips and median latency of the hot write paths, in-process (app.request, no HTTP
 * socket) on real Postgres: create run, a run transition, a task-run progress update.
 *
 *   npm run bench:api                       # against postgres://postgres@127.0.0.1:5432/test
 *   TEST_DATABASE_URL=… npm run bench:api -- --iterations 1000
 *
 * A scratch database is created on that server and dropped at the end.
 */
import { createDatabase } from '../../db/client';
import { loadConfig } from '../../functions/config';
import { migrateDatabase } from '../../db/migrate';
import { createApp } from '../../functions/api/app';
import { createScratchDatabase } from '../support/scratch-database';

const serverUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const iterations = Number(process.argv[process.argv.indexOf('--iterations') + 1]) || 500;
const ADMIN = 'bench-admin-token-0123456789';

const scratch = await createScratchDatabase(serverUrl, 'bench_api');
const database = await createDatabase({ driver: 'pg', connectionString: scratch.url, poolMax: 10, allowExitOnIdle: true, idleTimeoutMillis: 1000 });
try {
  await migrateDatabase(database);
  const app = createApp({ database, config: loadConfig({ ADMIN_TOKEN: ADMIN, LOG_LEVEL: 'silent' }) });
  const call = async (method: string, path: string, token: string, body?: unknown) => {
    const res = await app.request(path, {
      method,
      headers: { Authorization: `Bearer ${token}`, ...(body !== undefined && { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    if (res.status >= 300) throw new Error(`${method} ${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<any>;
  };

  const project = await call('POST', '/v1/projects', ADMIN, { name: 'bench' });
  const { key } = await call('POST', `/v1/projects/${project.id}/keys`, ADMIN, {});
  const pipeline = await call('POST', '/v1/pipelines', key, {
    name: 'bench',
    definition: { stages: [{ id: 'work', tasks: [{ id: 'step', task: 'step' }] }] },
  });

  const measure = async (name: string, op: () => Promise<unknown>) => {
    for (let i = 0; i < 50; i++) await op(); // warm-up: JIT, pool, plan cache
    const times: number[] = [];
    const before = database.roundTrips;
    for (let i = 0; i < iterations; i++) {
      const started = performance.now();
      await op();
      times.push(performance.now() - started);
    }
    const roundTrips = (database.roundTrips - before) / iterations;
    times.sort((a, b) => a - b);
    const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!.toFixed(3);
    return { name, roundTrips, medianMs: at(0.5), p95Ms: at(0.95) };
  };

  const results = [];
  results.push(await measure('create run (POST /v1/pipelines/{id}/runs)', () => call('POST', `/v1/pipelines/${pipeline.id}/runs`, key, {})));

  const pendingRuns: string[] = [];
  for (let i = 0; i < iterations + 50; i++) pendingRuns.push((await call('POST', `/v1/pipelines/${pipeline.id}/runs`, key, {})).id);
  results.push(
    await measure('transition pending -> running (PATCH /v1/runs/{id})', () => call('PATCH', `/v1/runs/${pendingRuns.pop()}`, key, { status: 'running' })),
  );

  const run = await call('POST', `/v1/pipelines/${pipeline.id}/runs`, key, {});
  await call('PATCH', `/v1/runs/${run.id}`, key, { status: 'running' });
  const taskRun = await call('POST', `/v1/runs/${run.id}/tasks`, key, { stageId: 'work', taskId: 'step', status: 'running' });
  let progress = 0;
  results.push(
    await measure('task progress (PATCH /v1/task-runs/{id})', () =>
      call('PATCH', `/v1/task-runs/${taskRun.id}`, key, { progress: (progress = (progress + 0.001) % 1) }),
    ),
  );

  console.log(`in-process, node-postgres on ${new URL(serverUrl).host}, ${iterations} iterations each`);
  console.table(results);
  console.log('Round trips per request; the API-key lookup is served by the memory layer after the first request.');
} finally {
  await database.close();
  await scratch.drop();
}
