/**
 * The invocation path as Lambda runs it: the built API bundle's handler (infra/build.ts, as SST
 * bundles it) invoked in-process with API Gateway v2 events for a run's life (create, running, a
 * stage patch, succeeded: four invocations), against the floor: a minimal Lambda handler doing
 * the same SQL with raw `pg` from the same events (fixtures/raw-pg-lambda.ts, bundled the same
 * way). No socket between the caller and the handler, as on Lambda, where the runtime hands the
 * event to the function.
 *
 * - sequential: one instance of each, run lives one at a time (median time of a life);
 * - concurrent: `--workers` instances of each (separate copies of the bundle directory, so each has
 *   its own module graph: configuration, pool of one connection, memory cache, like separate
 *   containers), one worker per instance in a closed loop for `--seconds` one-second slices;
 * - Data API: the same lives through the API bundle configured for the RDS Data API, against the
 *   local endpoint (test/support/data-api, in this process) on the same database, with HTTP
 *   requests to the endpoint counted per invocation, beside the same bundle on node-postgres.
 * Sides alternate in short slices, rotating who goes first, so the shared machine's load swings
 * hit all alike. Node CPU per life is this process's (handlers and, for the Data API, the local
 * endpoint too), PostgreSQL excluded.
 *
 *   npm run bench:invoke [-- --runs 300 --rounds 3 --workers 20 --seconds 3 --data-api-runs 100 --json]
 *
 * Uses TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), in a scratch database
 * dropped at the end.
 */
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleEntry, type BuiltFunction } from '../../infra/build';
import { lambdaFunction } from '../../infra/bundling';
import { createApiKey } from '../../functions/core/projects';
import { apiGatewayV2Event } from '../handlers/support/events';
import { pgBackend, startDataApiServer } from '../support/data-api/server';
import { arg, median } from './support/args';
import { closedLoop, latency, ms, openBenchDatabase, seedProject } from './support/seed';

interface LambdaResult {
  statusCode: number;
  body: string;
}
type Handler = (event: unknown, context: unknown) => Promise<LambdaResult>;

const CONTEXT = {
  awsRequestId: 'bench',
  functionName: 'bench',
  memoryLimitInMB: '1024',
  callbackWaitsForEmptyEventLoop: true,
  getRemainingTimeInMillis: () => 30_000,
};

const INPUT = { commit: '9f2c1e7', branch: 'main' };
const BUILD = { build: { ok: true, ms: 1234 } };
const OUTPUT = { artifact: 's3://bench/artifact.tgz' };

/** The environment every instance sees, as the Lambda runtime sets it (credentials: the local endpoint does not check them). */
const LAMBDA_ENV = {
  AWS_LAMBDA_FUNCTION_NAME: 'pipestore-bench',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'AKIALOCALLAMBDA',
  AWS_SECRET_ACCESS_KEY: 'local-lambda-secret',
  LOG_LEVEL: 'warn',
};

/**
 * `count` instances of a bundle, each imported from its own copy of the bundle's directory: the
 * module cache is per URL, so each copy runs its own init (as a new container would). `env` is in
 * process.env only while they initialise (the bundles read their configuration at init).
 */
async function instancesOf(bundle: BuiltFunction, count: number, env: Record<string, string>, workDir: string, label: string): Promise<Handler[]> {
  const handlers: Handler[] = [];
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    for (let i = 0; i < count; i++) {
      const dir = join(workDir, `${label}-${i}`);
      cpSync(dirname(bundle.file), dir, { recursive: true });
      const { handler } = (await import(pathToFileURL(join(dir, 'index.mjs')).href)) as { handler: Handler };
      handlers.push(handler);
    }
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
  return handlers;
}

/** One run's life through `handler`: four invocations. */
const runLife = (handler: Handler, key: string, pipelineId: string) => {
  const call = async (method: string, path: string, body: unknown, expected: number) => {
    const event = apiGatewayV2Event({
      method,
      path,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const result = await handler(event, CONTEXT);
    if (result.statusCode !== expected) throw new Error(`${method} ${path}: ${result.statusCode} ${result.body}`);
    return result.body;
  };
  return async () => {
    const { id } = JSON.parse(await call('POST', `/v1/pipelines/${pipelineId}/runs`, { input: INPUT }, 201)) as { id: string };
    await call('PATCH', `/v1/runs/${id}`, { status: 'running' }, 200);
    await call('PATCH', `/v1/runs/${id}`, { currentStage: 'build', stageResults: BUILD }, 200);
    await call('PATCH', `/v1/runs/${id}`, { status: 'succeeded', output: OUTPUT }, 200);
  };
};

const INVOCATIONS_PER_LIFE = 4;
const WARM_UP_LIVES = 30;
const cpuMs = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
};

type Sample = { times: number[]; perSecond: number; cpu: number; requests?: number };

export async function benchInvocation(
  options = {
    runs: arg('runs', 300),
    rounds: arg('rounds', 3),
    workers: arg('workers', 20),
    seconds: arg('seconds', 3),
    dataApiRuns: arg('data-api-runs', 100),
  },
) {
  const workDir = mkdtempSync(join(tmpdir(), 'pipestore-bench-invoke-'));
  const bench = await openBenchDatabase('bench_invoke', 2);
  const dataApi = await startDataApiServer(pgBackend(bench.url, 4));
  try {
    const definition = { stages: [{ id: 'build', tasks: [{ id: 'compile', task: 'compile' }] }] };
    const { projectId, pipelineIds } = await seedProject(bench.database.db, 'bench-invoke', [{ name: 'ci', definition }]);
    const pipelineId = pipelineIds[0]!;
    const { key } = await createApiKey({ db: bench.database.db, input: { projectId } });

    const api = await bundleEntry(lambdaFunction('api').entry, workDir, 'api');
    const floor = await bundleEntry('test/bench/fixtures/raw-pg-lambda.ts', workDir, 'floor');
    // Set for the whole run, not only init: the AWS SDK reads credentials on the first request.
    Object.assign(process.env, LAMBDA_ENV);
    const pgEnv = { DATABASE_URL: bench.url };
    const dataApiEnv = {
      DB_CLUSTER_ARN: dataApi.resourceArn,
      DB_SECRET_ARN: dataApi.secretArn,
      DB_NAME: dataApi.database,
      AWS_ENDPOINT_URL_RDS_DATA: dataApi.endpoint,
    };
    const apiHandlers = await instancesOf(api, options.workers, pgEnv, workDir, 'api-pg');
    const floorHandlers = await instancesOf(floor, options.workers, pgEnv, workDir, 'floor-pg');
    const [dataApiHandler] = await instancesOf(api, 1, dataApiEnv, workDir, 'api-data-api');

    const lives = {
      api: apiHandlers.map((h) => runLife(h, key, pipelineId)),
      floor: floorHandlers.map((h) => runLife(h, key, pipelineId)),
      dataApi: [runLife(dataApiHandler!, key, pipelineId)],
    };
    type Side = keyof typeof lives;
    const LABELS: Record<Side, string> = {
      api: 'pipestore API bundle (node-postgres)',
      floor: 'raw pg handler (floor)',
      dataApi: 'pipestore API bundle (Data API, local endpoint)',
    };

    // Warm-up of every instance (each has its own copy of the code to compile and optimize, as a
    // container has): connections opened, prepared statements parsed, keys cached, code optimized.
    // Each instance's first life alone: here they all share one event loop, and 20 first requests
    // at once (connecting, loading their routes) would starve each other's connection timeouts.
    for (const side of Object.values(lives)) {
      for (const life of side) await life();
      for (let i = 1; i < WARM_UP_LIVES; i++) await Promise.all(side.map((life) => life()));
    }

    const results = { sequential: new Map<Side, Sample[]>(), concurrent: new Map<Side, Sample[]>() };
    const record = (mode: keyof typeof results, side: Side, sample: Sample) => results[mode].set(side, [...(results[mode].get(side) ?? []), sample]);
    const SLICE = 25;
    // --data-api-runs 0 leaves the Data API out.
    const sequentialSides: Side[] = options.dataApiRuns > 0 ? ['api', 'floor', 'dataApi'] : ['api', 'floor'];
    for (let round = 0; round < options.rounds; round++) {
      const order = sequentialSides.map((_, i) => sequentialSides[(i + round) % sequentialSides.length]!);
      const acc = new Map<Side, { times: number[]; cpu: number; requests: number }>(order.map((s) => [s, { times: [], cpu: 0, requests: 0 }]));
      const target = (side: Side) => (side === 'dataApi' ? options.dataApiRuns : options.runs);
      for (let slice = 0; order.some((side) => acc.get(side)!.times.length < target(side)); slice++) {
        for (const side of slice % 2 ? [...order].reverse() : order) {
          const a = acc.get(side)!;
          const count = Math.min(SLICE, target(side) - a.times.length);
          const [cpuBefore, requestsBefore] = [cpuMs(), dataApi.requests];
          for (let i = 0; i < count; i++) {
            const t = performance.now();
            await lives[side][0]!();
            a.times.push(performance.now() - t);
          }
          a.cpu += cpuMs() - cpuBefore;
          a.requests += dataApi.requests - requestsBefore;
        }
      }
      for (const [side, { times, cpu, requests }] of acc) {
        record('sequential', side, { times, perSecond: 1000 / median(times), cpu: cpu / times.length, requests: requests / times.length });
      }

      const concurrentSides: Side[] = round % 2 ? ['floor', 'api'] : ['api', 'floor'];
      const conc = new Map<Side, { times: number[]; seconds: number; cpu: number }>(concurrentSides.map((s) => [s, { times: [], seconds: 0, cpu: 0 }]));
      for (let slice = 0; slice < options.seconds; slice++) {
        for (const side of slice % 2 ? [...concurrentSides].reverse() : concurrentSides) {
          const [cpuBefore, started] = [cpuMs(), performance.now()];
          const result = await closedLoop(options.workers, 1, (worker) => lives[side][worker]!());
          const a = conc.get(side)!;
          a.times.push(...result.times);
          a.seconds += (performance.now() - started) / 1000;
          a.cpu += cpuMs() - cpuBefore;
        }
      }
      for (const [side, { times, seconds, cpu }] of conc) {
        record('concurrent', side, { times, perSecond: times.length / seconds, cpu: cpu / times.length });
      }
    }

    const rows = [];
    for (const mode of ['sequential', 'concurrent'] as const) {
      const floorRate = median(results[mode].get('floor')!.map((r) => r.perSecond));
      for (const [side, samples] of results[mode]) {
        const rates = samples.map((r) => r.perSecond);
        rows.push({
          mode: mode === 'sequential' ? 'sequential' : `${options.workers} instances`,
          side: LABELS[side],
          'lives/s': Math.round(median(rates)),
          'x floor': Number((median(rates) / floorRate).toFixed(2)),
          ...latency(samples.flatMap((r) => r.times)),
          'p50 ms/invocation': ms(median(samples.flatMap((r) => r.times)) / INVOCATIONS_PER_LIFE),
          'node CPU ms/life': ms(median(samples.map((r) => r.cpu))),
          ...(side === 'dataApi' && { 'Data API requests/invocation': ms(median(samples.map((r) => r.requests!)) / INVOCATIONS_PER_LIFE) }),
          rounds: rates.map(Math.round).join(' / '),
        });
      }
    }
    return { rows, sizes: { api: api.totalBytes, floor: floor.totalBytes } };
  } finally {
    await dataApi.close();
    rmSync(workDir, { recursive: true, force: true });
    await bench.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { rows } = await benchInvocation();
  if (process.argv.includes('--json')) console.log(JSON.stringify(rows, null, 2));
  else {
    console.log(
      "Invocation path: a run's life (create, running, stage patch, succeeded) as API Gateway v2 events to in-process handlers, PostgreSQL, durable commits",
    );
    console.table(rows);
    console.log(
      'x floor: against the raw pg handler in the same run, medians over rounds; goal for the API bundle >= 0.7.\n' +
        'The Data API row: the same bundle on the local Data API endpoint (in this process), beside node-postgres: what the Data API costs.',
    );
  }
  // The instances' pools (one connection each) keep the event loop alive until their idle timeout.
  process.exit(0);
}
