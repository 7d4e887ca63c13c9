/**
 * Cold start of the API bundle: time from starting a fresh `node` process that imports the bundle
 * (as the Lambda runtime does during init) to its first response, for GET /health on node-postgres
 * (first connection included), and for a first request that creates a run (what a scale-out
 * usually starts with: key lookup, its resource's routes, a write), as a ratio against a
 * hello-world Hono bundle built the same way and measured in the same run. Beside them a "stack floor" (fixtures/stack-floor.ts: the frameworks the
 * API is built on, one validated route, one query, nothing of pipestore) says how much of the
 * difference any API on this stack pays. All are built by infra/build.ts and run by the handler
 * tests' runner.
 *
 *   npm run bench:cold-start                  # 10 runs of each
 *   npm run bench:cold-start -- --runs 20 --json
 *
 * Uses TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), in a scratch database
 * dropped at the end. Node here is not Lambda's: compare ratios, not absolute times.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { bundleEntry, formatBytes, loadedOutputs, type BuiltFunction } from '../../infra/build';
import { lambdaFunction } from '../../infra/bundling';
import { createApiKey } from '../../functions/core/projects';
import { apiGatewayV2Event, type HttpRequest } from '../handlers/support/events';
import { lambdaEnv, startLambda } from '../handlers/support/lambda-process';
import { median } from './support/args';
import { openBenchDatabase, seedProject } from './support/seed';

interface Sample {
  /** Parent's clock: fork() to the response arriving over IPC. */
  wallMs: number;
  /** The process's own clock (0 = process start) when it sent the response. */
  processMs: number;
  /** Import of the bundle alone. */
  initMs: number;
  /** CPU time the process used to its response: what a busy machine disturbs least. */
  cpuMs: number;
}

const HEALTH: HttpRequest = { method: 'GET', path: '/health' };

async function coldStart(bundle: BuiltFunction, env: Record<string, string>, cwd: string, request: HttpRequest, expected: number): Promise<Sample> {
  const started = performance.now();
  const lambda = await startLambda(bundle.file, env, cwd);
  try {
    const { result, at, cpuMs } = await lambda.invokeTimed<{ statusCode: number; body: string }>(apiGatewayV2Event(request));
    const wallMs = performance.now() - started;
    if (result.statusCode !== expected) throw new Error(`${bundle.name}: ${request.path} answered ${result.statusCode}: ${result.body}\n${lambda.output()}`);
    return { wallMs, processMs: at, initMs: lambda.initMs, cpuMs };
  } finally {
    await lambda.stop();
  }
}

const BUNDLES = ['hello', 'floor', 'api', 'apiRun'] as const;
type Bundle = (typeof BUNDLES)[number];
const LABELS: Record<Bundle, string> = {
  hello: 'hello-world Hono',
  floor: 'stack floor (zod-openapi + Drizzle + pg, 1 route)',
  api: 'pipestore API',
  apiRun: 'pipestore API, first request creates a run',
};

/**
 * The JavaScript a cold start on node-postgres loads before its first request: entry and chunks,
 * without the Data API's, nor the chunks imported on requests (a resource's routes, the OpenAPI
 * document, the console).
 */
export const loadedBytes = (fn: BuiltFunction) =>
  loadedOutputs(
    fn,
    /node_modules\/(@aws-sdk|@smithy)\/|drizzle-orm\/aws-data-api\//,
    /functions\/(api\/routes\/|api\/generated\/|api\/resource-app\.ts|console\/)/,
  ).reduce((sum, o) => sum + o.bytes, 0);
const round = (x: number) => Math.round(x * 10) / 10;

/** Medians of `runs` alternating cold starts of each bundle, and the API's ratios to hello-world. */
export async function benchColdStart(options: { runs: number; progress?: boolean }) {
  const workDir = mkdtempSync(join(tmpdir(), 'pipestore-bench-cold-'));
  const bench = await openBenchDatabase('bench_cold', 1);
  const samples: Record<Bundle, Sample[]> = { hello: [], floor: [], api: [], apiRun: [] };
  let bundles: Partial<Record<Bundle, BuiltFunction>> = {};
  try {
    const hello = await bundleEntry('test/bench/fixtures/hello-world.ts', workDir, 'hello');
    const floor = await bundleEntry('test/bench/fixtures/stack-floor.ts', workDir, 'floor');
    const api = await bundleEntry(lambdaFunction('api').entry, workDir, 'api');
    bundles = { hello, floor, api, apiRun: api };
    const { projectId, pipelineIds } = await seedProject(bench.database.db, 'bench-cold', [
      { name: 'ci', definition: { stages: [{ id: 'build', tasks: [{ id: 'compile', task: 'compile' }] }] } },
    ]);
    const { key } = await createApiKey({ db: bench.database.db, input: { projectId } });
    const createRun: HttpRequest = {
      method: 'POST',
      path: `/v1/pipelines/${pipelineIds[0]}/runs`,
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ input: { commit: '9f2c1e7' } }),
    };
    const apiEnv = lambdaEnv('pipestore-api', { DATABASE_URL: bench.url, LOG_LEVEL: 'warn' });
    const cases = {
      hello: { bundle: hello, env: lambdaEnv('hello-world', {}), request: HEALTH, expected: 200 },
      floor: { bundle: floor, env: lambdaEnv('stack-floor', { DATABASE_URL: bench.url }), request: HEALTH, expected: 200 },
      api: { bundle: api, env: apiEnv, request: HEALTH, expected: 200 },
      apiRun: { bundle: api, env: apiEnv, request: createRun, expected: 201 },
    };
    const measure = (name: Bundle) => coldStart(cases[name].bundle, cases[name].env, workDir, cases[name].request, cases[name].expected);
    // One warm-up of each (file cache), then rotate the order so drift hits all alike.
    for (const name of BUNDLES) await measure(name);
    for (let run = 0; run < options.runs; run++) {
      for (const name of BUNDLES.map((_, i) => BUNDLES[(i + run) % BUNDLES.length]!)) {
        const sample = await measure(name);
        samples[name].push(sample);
        if (options.progress) process.stderr.write(`run ${run + 1}/${options.runs} ${name}: ${sample.wallMs.toFixed(0)} ms\n`);
      }
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
    await bench.close();
  }

  const summary = BUNDLES.map((name) => ({
    bundle: LABELS[name],
    // What this cold start loads (the Data API driver's chunks are not), and everything shipped.
    loaded: formatBytes(loadedBytes(bundles[name]!)),
    shipped: formatBytes(bundles[name]!.totalBytes),
    runs: samples[name].length,
    'import ms': round(median(samples[name].map((s) => s.initMs))),
    'process start → response ms': round(median(samples[name].map((s) => s.processMs))),
    'spawn → response ms': round(median(samples[name].map((s) => s.wallMs))),
    'CPU ms': round(median(samples[name].map((s) => s.cpuMs))),
  }));
  const ratio = (name: Bundle, key: keyof Sample) => round(median(samples[name].map((s) => s[key])) / median(samples.hello.map((s) => s[key])));
  const ratiosOf = (name: Bundle) => ({
    wall: ratio(name, 'wallMs'),
    process: ratio(name, 'processMs'),
    import: ratio(name, 'initMs'),
    cpu: ratio(name, 'cpuMs'),
  });
  const ratios = ratiosOf('api');
  const floorRatios = ratiosOf('floor');
  const runRatios = ratiosOf('apiRun');
  const sizes = Object.fromEntries(
    Object.entries(bundles).map(([name, b]) => [name, { loaded: loadedBytes(b), shipped: b.totalBytes, files: b.outputs.length }]),
  );
  return { summary, ratios, floorRatios, runRatios, sizes, samples };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '10' }, json: { type: 'boolean', default: false } } });
  const runs = Number(args.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: expected a positive integer, got ${args.runs}`);
  const { summary, ratios, floorRatios, runRatios, sizes, samples } = await benchColdStart({ runs, progress: !args.json });
  if (args.json) {
    console.log(JSON.stringify({ runs, summary, ratios, floorRatios, runRatios, sizes, samples }, null, 2));
  } else {
    console.log(`Cold start, fresh node ${process.version} process → first GET /health response (medians of ${runs})`);
    console.table(summary);
    console.log(
      `pipestore API / hello-world: ${ratios.wall}x spawn → response, ${ratios.process}x process start → response, ${ratios.cpu}x CPU, ${ratios.import}x import`,
    );
    console.log(
      `pipestore API, first request creating a run / hello-world: ${runRatios.wall}x spawn → response, ${runRatios.process}x process start → response, ${runRatios.cpu}x CPU`,
    );
    console.log(
      `stack floor / hello-world: ${floorRatios.wall}x spawn → response, ${floorRatios.process}x process start → response, ${floorRatios.cpu}x CPU, ${floorRatios.import}x import`,
    );
  }
}
