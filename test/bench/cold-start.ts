/**
 * Cold start of the API bundle: time from starting a fresh `node` process that imports the bundle
 * (as the Lambda runtime does during init) to its first response, for GET /health on node-postgres
 * (first connection included), as a ratio against a hello-world Hono bundle built the same way and
 * measured in the same run. Beside them a "stack floor" (fixtures/stack-floor.ts: the frameworks the
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
import { apiGatewayV2Event } from '../handlers/support/events';
import { lambdaEnv, startLambda } from '../handlers/support/lambda-process';
import { createScratchDatabase } from '../support/scratch-database';
import { median, serverUrl } from './support/args';


interface Sample {
  /** Parent's clock: fork() to the response arriving over IPC. */
  wallMs: number;
  /** The process's own clock (0 = process start) when it sent the response. */
  processMs: number;
  /** Import of the bundle alone. */
  initMs: number;
}

async function coldStart(bundle: BuiltFunction, env: Record<string, string>, cwd: string): Promise<Sample> {
  const started = performance.now();
  const lambda = await startLambda(bundle.file, env, cwd);
  try {
    const { result, at } = await lambda.invokeTimed<{ statusCode: number; body: string }>(apiGatewayV2Event({ method: 'GET', path: '/health' }));
    const wallMs = performance.now() - started;
    if (result.statusCode !== 200) throw new Error(`${bundle.name}: /health answered ${result.statusCode}: ${result.body}\n${lambda.output()}`);
    return { wallMs, processMs: at, initMs: lambda.initMs };
  } finally {
    await lambda.stop();
  }
}

const BUNDLES = ['hello', 'floor', 'api'] as const;
type Bundle = (typeof BUNDLES)[number];
const LABELS: Record<Bundle, string> = { hello: 'hello-world Hono', floor: 'stack floor (zod-openapi + Drizzle + pg, 1 route)', api: 'pipestore API' };

/** The JavaScript a cold start on node-postgres loads: entry and chunks, without the Data API's. */
const loadedBytes = (fn: BuiltFunction) => loadedOutputs(fn, /node_modules\/(@aws-sdk|@smithy)\/|drizzle-orm\/aws-data-api\//).reduce((sum, o) => sum + o.bytes, 0);
const round = (x: number) => Math.round(x * 10) / 10;

/** Medians of `runs` alternating cold starts of each bundle, and the API's ratios to hello-world. */
export async function benchColdStart(options: { runs: number; progress?: boolean }) {
  const workDir = mkdtempSync(join(tmpdir(), 'pipestore-bench-cold-'));
  const scratch = await createScratchDatabase(serverUrl, 'bench_cold');
  const samples: Record<Bundle, Sample[]> = { hello: [], floor: [], api: [] };
  let bundles: Partial<Record<Bundle, BuiltFunction>> = {};
  try {
    const hello = await bundleEntry('test/bench/fixtures/hello-world.ts', workDir, 'hello');
    const floor = await bundleEntry('test/bench/fixtures/stack-floor.ts', workDir, 'floor');
    const api = await bundleEntry(lambdaFunction('api').entry, workDir, 'api');
    bundles = { hello, floor, api };
    const cases = {
      hello: { bundle: hello, env: lambdaEnv('hello-world', {}) },
      floor: { bundle: floor, env: lambdaEnv('stack-floor', { DATABASE_URL: scratch.url }) },
      api: { bundle: api, env: lambdaEnv('pipestore-api', { DATABASE_URL: scratch.url, LOG_LEVEL: 'warn' }) },
    };
    // One warm-up of each (file cache), then rotate the order so drift hits all alike.
    for (const c of Object.values(cases)) await coldStart(c.bundle, c.env, workDir);
    for (let run = 0; run < options.runs; run++) {
      for (const name of BUNDLES.map((_, i) => BUNDLES[(i + run) % BUNDLES.length]!)) {
        const sample = await coldStart(cases[name].bundle, cases[name].env, workDir);
        samples[name].push(sample);
        if (options.progress) process.stderr.write(`run ${run + 1}/${options.runs} ${name}: ${sample.wallMs.toFixed(0)} ms\n`);
      }
    }
  } finally {
    rmSync(workDir, { recursive: true, force: true });
    await scratch.drop();
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
  }));
  const ratio = (name: Bundle, key: keyof Sample) => round(median(samples[name].map((s) => s[key])) / median(samples.hello.map((s) => s[key])));
  const ratiosOf = (name: Bundle) => ({ wall: ratio(name, 'wallMs'), process: ratio(name, 'processMs'), import: ratio(name, 'initMs') });
  const ratios = ratiosOf('api');
  const floorRatios = ratiosOf('floor');
  const sizes = Object.fromEntries(Object.entries(bundles).map(([name, b]) => [name, { loaded: loadedBytes(b), shipped: b.totalBytes, files: b.outputs.length }]));
  return { summary, ratios, floorRatios, sizes, samples };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '10' }, json: { type: 'boolean', default: false } } });
  const runs = Number(args.runs);
  if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: expected a positive integer, got ${args.runs}`);
  const { summary, ratios, floorRatios, sizes, samples } = await benchColdStart({ runs, progress: !args.json });
  if (args.json) {
    console.log(JSON.stringify({ runs, summary, ratios, floorRatios, sizes, samples }, null, 2));
  } else {
    console.log(`Cold start, fresh node ${process.version} process → first GET /health response (medians of ${runs})`);
    console.table(summary);
    console.log(`pipestore API / hello-world: ${ratios.wall}x spawn → response, ${ratios.process}x process start → response, ${ratios.import}x import`);
    console.log(`stack floor / hello-world: ${floorRatios.wall}x spawn → response, ${floorRatios.process}x process start → response, ${floorRatios.import}x import`);
  }
}
