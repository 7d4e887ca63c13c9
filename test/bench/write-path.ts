/**
 * Write path: one run's life, written through pipestore and written as raw SQL, on PostgreSQL.
 *
 * The sequence (five writes, each one statement in both implementations):
 *   1. POST  /v1/pipelines/{id}/runs  { input }                                   create (pending)
 *   2. PATCH /v1/runs/{id}  { status: "running" }                                 transition
 *   3. PATCH /v1/runs/{id}  { currentStage: "build", stageResults: { build } }    transition
 *   4. PATCH /v1/runs/{id}  { currentStage: "test",  stageResults: { test } }     transition
 *   5. PATCH /v1/runs/{id}  { status: "succeeded", output }                       completion
 *
 * pipestore: createApp over node-postgres (pool 10), called in-process with app.request, so the
 * cost measured is routing, auth, validation, Drizzle and JSON, not a socket. The raw side: a
 * pg.Pool of 10 on the same database running the same statements as named prepared statements
 * (the conditional UPDATE … WHERE status IN (…), the jsonb `||` merge, revision + 1, RETURNING the
 * row with its version number) and serializing each returned row to the API's JSON, so the only
 * difference left is pipestore's own overhead. Three diagnostic sides sit in between, to say where
 * that overhead goes: "Hono floor + core" (the same routes as a bare @hono/zod-openapi app calling
 * the core: support/hono-floor.ts), "pipestore core" (createRun/updateRun called directly: Drizzle,
 * no HTTP) and "raw pg unnamed" (the floor's SQL without prepared statements).
 *
 * Sequential: latency of whole sequences, one at a time. Concurrent: `--workers` loops for
 * `--seconds`, sequences per second. Within a round the sides alternate in short slices (25
 * sequences, or one second), so that load swings on the shared machine hit every side alike.
 * Round trips per sequence are counted at the driver on every side (Database.roundTrips, and the
 * same hook on the raw pool).
 *
 *   npm run bench:write [-- --sequences 500 --rounds 3 --workers 20 --seconds 4 --async-commit --json]
 */
import { typeid } from 'typeid-js';
import { loadConfig } from '../../functions/config';
import { createApp } from '../../functions/api/app';
import { createApiKey } from '../../functions/core/projects';
import { type RunPatch, createRun, updateRun } from '../../functions/core/runs';
import { arg, median, serverUrl } from './support/args';
import { honoFloorApp } from './support/hono-floor';
import { RUN_STATEMENTS as STATEMENTS, runJson } from './support/run-sql';
import { asyncCommit, closedLoop, countingPool, latency, ms, openBenchDatabase, seedProject } from './support/seed';

/** What the HTTP sides call: an app answering in-process (Hono's `app.request`). */
type InProcessApp = { request(path: string, init: RequestInit): Response | Promise<Response> };

const INPUT = { commit: '9f2c1e7', branch: 'main' };
const BUILD = { build: { ok: true, ms: 1234 } };
const TEST = { test: { ok: true, ms: 5678, passed: 412 } };
const OUTPUT = { artifact: 's3://bench/artifact.tgz' };

export async function benchWritePath(
  options = { sequences: arg('sequences', 500), rounds: arg('rounds', 3), workers: arg('workers', 20), seconds: arg('seconds', 4) },
) {
  const bench = await openBenchDatabase('bench_write', 10);
  const raw = countingPool(bench.url, 10);
  try {
    const { database } = bench;
    const definition = {
      stages: [
        { id: 'build', tasks: [{ id: 'compile', task: 'compile' }] },
        { id: 'test', dependsOn: ['build'] },
      ],
    };
    const { projectId, pipelineIds } = await seedProject(database.db, 'bench-write', [{ name: 'ci', definition }]);
    const pipelineId = pipelineIds[0]!;
    const { key } = await createApiKey({ db: database.db, input: { projectId } });
    const app = createApp({ database, config: loadConfig({ LOG_LEVEL: 'silent' }) });
    const headers = { Authorization: `Bearer ${key}`, 'Content-Type': 'application/json' };

    const floorApp = honoFloorApp(database.db, projectId);
    const call = async (method: string, path: string, body: unknown, expected: number, target: InProcessApp = app) => {
      const text = JSON.stringify(body);
      // Content-Length as every HTTP client sends it (and the node adapter passes on): without it
      // the body-limit middleware would have to stream and copy the body, which no real call does.
      const sized = { ...headers, 'Content-Length': String(Buffer.byteLength(text)) };
      const res = await target.request(path, { method, headers: sized, body: text });
      const answer = await res.text();
      if (res.status !== expected) throw new Error(`${method} ${path}: ${res.status} ${answer}`);
      return answer;
    };
    const viaHttp = (target: InProcessApp) => async () => {
      const run = JSON.parse(await call('POST', `/v1/pipelines/${pipelineId}/runs`, { input: INPUT }, 201, target)) as { id: string };
      await call('PATCH', `/v1/runs/${run.id}`, { status: 'running' }, 200, target);
      await call('PATCH', `/v1/runs/${run.id}`, { currentStage: 'build', stageResults: BUILD }, 200, target);
      await call('PATCH', `/v1/runs/${run.id}`, { currentStage: 'test', stageResults: TEST }, 200, target);
      await call('PATCH', `/v1/runs/${run.id}`, { status: 'succeeded', output: OUTPUT }, 200, target);
    };

    // Diagnostic middle step: the same core calls the routes make, without HTTP, zod or Hono.
    const viaCore = async () => {
      const db = database.db;
      const run = await createRun({ db, input: { projectId, pipelineId, input: INPUT } });
      JSON.stringify(run);
      const update = async (patch: RunPatch) => JSON.stringify(await updateRun({ db, input: { projectId, runId: run.id, patch } }));
      await update({ status: 'running' });
      await update({ currentStage: 'build', stageResults: BUILD });
      await update({ currentStage: 'test', stageResults: TEST });
      await update({ status: 'succeeded', output: OUTPUT });
    };

    // `named`: a prepared statement per connection (the floor); unnamed: parsed and planned by
    // the server on every call, which is how Drizzle sends pipestore's writes.
    const viaRawSql = (named: boolean) => {
      const exec = async (name: keyof typeof STATEMENTS, values: unknown[]) => {
        const { rows } = await raw.pool.query({ ...(named && { name: `bench_${name}` }), text: STATEMENTS[name], values });
        if (rows.length !== 1) throw new Error(`raw ${name}: no row`);
        return runJson(rows[0]);
      };
      return async () => {
        const id = typeid('run').toString();
        await exec('create', [id, projectId, pipelineId, INPUT]);
        await exec('start', [id, projectId]);
        await exec('stage', [id, projectId, 'build', BUILD]);
        await exec('stage', [id, projectId, 'test', TEST]);
        await exec('succeed', [id, projectId, OUTPUT]);
      };
    };

    const sides = {
      'pipestore API': viaHttp(app),
      'Hono floor + core': viaHttp(floorApp),
      'pipestore core': viaCore,
      'raw pg unnamed': viaRawSql(false),
      'raw pg': viaRawSql(true),
    };
    type Side = keyof typeof sides;
    const names = Object.keys(sides) as Side[];
    const roundTripsOf = (side: Side) => (side.startsWith('raw') ? raw.roundTrips : database.roundTrips);
    // Node CPU per sequence (process.cpuUsage: this process only, Postgres excluded): what each
    // layer costs on the client side, unaffected by how long the shared disk takes to flush.
    type Sample = { times: number[]; perSecond: number; roundTrips: number; cpu: number };
    const cpuMs = () => {
      const { user, system } = process.cpuUsage();
      return (user + system) / 1000;
    };
    const results = { sequential: new Map<Side, Sample[]>(), concurrent: new Map<Side, Sample[]>() };
    const record = (mode: keyof typeof results, side: Side, sample: Sample) => results[mode].set(side, [...(results[mode].get(side) ?? []), sample]);

    // Warm-up: JIT, pools filled, prepared statements parsed on every connection.
    for (const run of Object.values(sides)) {
      for (let i = 0; i < 50; i++) await run();
      await closedLoop(options.workers, 1, run);
    }
    // Each round is cut into short slices (SLICE sequences, or one second of the closed loop) that
    // alternate between the sides, rotating who goes first, so that the shared machine's load
    // swings (other processes, the disk's flush time) land on every side alike.
    const SLICE = 25;
    const measureSequential = async (side: Side, count: number) => {
      const times: number[] = [];
      for (let i = 0; i < count; i++) {
        const t = performance.now();
        await sides[side]();
        times.push(performance.now() - t);
      }
      return times;
    };
    for (let round = 0; round < options.rounds; round++) {
      const order = names.map((_, i) => names[(i + round) % names.length]!);
      const sequential = new Map<Side, { times: number[]; roundTrips: number; cpu: number }>(names.map((n) => [n, { times: [], roundTrips: 0, cpu: 0 }]));
      for (let done = 0, slice = 0; done < options.sequences; done += SLICE, slice++) {
        for (const side of slice % 2 ? [...order].reverse() : order) {
          const [before, cpuBefore] = [roundTripsOf(side), cpuMs()];
          const acc = sequential.get(side)!;
          acc.times.push(...(await measureSequential(side, Math.min(SLICE, options.sequences - done))));
          acc.roundTrips += roundTripsOf(side) - before;
          acc.cpu += cpuMs() - cpuBefore;
        }
      }
      for (const [side, { times, roundTrips, cpu }] of sequential) {
        record('sequential', side, { times, perSecond: 1000 / median(times), roundTrips: roundTrips / times.length, cpu: cpu / times.length });
      }
      const concurrent = new Map<Side, { times: number[]; seconds: number; roundTrips: number; cpu: number }>(
        names.map((n) => [n, { times: [], seconds: 0, roundTrips: 0, cpu: 0 }]),
      );
      for (let slice = 0; slice < options.seconds; slice++) {
        for (const side of slice % 2 ? [...order].reverse() : order) {
          const [before, cpuBefore, started] = [roundTripsOf(side), cpuMs(), performance.now()];
          const result = await closedLoop(options.workers, 1, sides[side]);
          const acc = concurrent.get(side)!;
          acc.times.push(...result.times);
          acc.seconds += (performance.now() - started) / 1000;
          acc.roundTrips += roundTripsOf(side) - before;
          acc.cpu += cpuMs() - cpuBefore;
        }
      }
      for (const [side, { times, seconds, roundTrips, cpu }] of concurrent) {
        record('concurrent', side, { times, perSecond: times.length / seconds, roundTrips: roundTrips / times.length, cpu: cpu / times.length });
      }
    }

    const rows = [];
    for (const mode of ['sequential', 'concurrent'] as const) {
      // Sequential rate is 1000 / median sequence time (robust to stalls); concurrent is counted.
      const floor = median(results[mode].get('raw pg')!.map((r) => r.perSecond));
      for (const side of names) {
        const samples = results[mode].get(side)!;
        const rates = samples.map((r) => r.perSecond);
        rows.push({
          mode: mode === 'sequential' ? 'sequential' : `${options.workers} workers`,
          side,
          'seq/s': Math.round(median(rates)),
          'x raw': Number((median(rates) / floor).toFixed(2)),
          ...latency(samples.flatMap((r) => r.times)),
          'round trips/seq': ms(median(samples.map((r) => r.roundTrips))),
          'node CPU ms/seq': ms(median(samples.map((r) => r.cpu))),
          rounds: rates.map(Math.round).join(' / '),
        });
      }
    }
    return rows;
  } finally {
    await raw.pool.end();
    await bench.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await benchWritePath();
  if (process.argv.includes('--json')) console.log(JSON.stringify(rows, null, 2));
  else {
    const commit = asyncCommit ? 'synchronous_commit=off' : 'durable commits';
    console.log(`Write path: create run + 3 transitions + completion (5 writes), in-process, PostgreSQL ${new URL(serverUrl).host}, pools of 10, ${commit}`);
    console.table(rows);
    console.log(
      'x raw: against raw pg (named prepared statements), medians over rounds; goal for pipestore API >= 0.7.\n' +
        'Hono floor + core, pipestore core and raw pg unnamed are diagnostic steps in between. p50/p99 over every sequence of every round.',
    );
  }
}
