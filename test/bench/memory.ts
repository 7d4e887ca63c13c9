/**
 * Memory of a warm API instance: the built API bundle (infra/build.ts) in its own fresh `node`
 * process (the handler tests' Lambda runner), on node-postgres with the memory cache at its
 * default bound, answering `--requests` mixed API Gateway v2 events (run lives, reads of runs and
 * pipelines, list pages, health), `--concurrency` in flight. Its resident set (VmRSS in
 * /proc/<pid>/status) after init and after the requests, and its peak (VmHWM), against the goal of
 * 150 MB on a 1 GB function; beside it the same for the hello-world Hono bundle after init (the
 * floor any Node Lambda starts from), and the bundles' sizes.
 *
 *   npm run bench:memory [-- --requests 10000 --concurrency 4 --json]
 *
 * Uses TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), in a scratch database
 * dropped at the end. Linux only (/proc).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bundleEntry, formatBytes } from '../../infra/build';
import { lambdaFunction } from '../../infra/bundling';
import { createApiKey } from '../../functions/core/projects';
import { apiGatewayV2Event } from '../handlers/support/events';
import { lambdaEnv, startLambda, type LambdaProcess } from '../handlers/support/lambda-process';
import { loadedBytes } from './cold-start';
import { arg } from './support/args';
import { openBenchDatabase, seedProject } from './support/seed';

/** Resident and peak resident set of a process, in MiB. */
function residentMiB(pid: number) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const field = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)![1]) / 1024;
  return { rss: Math.round(field('VmRSS') * 10) / 10, peak: Math.round(field('VmHWM') * 10) / 10 };
}

interface Result {
  statusCode: number;
  body: string;
}

export async function benchMemory(options = { requests: arg('requests', 10_000), concurrency: arg('concurrency', 4) }) {
  const workDir = mkdtempSync(join(tmpdir(), 'pipestore-bench-memory-'));
  const bench = await openBenchDatabase('bench_memory', 2);
  let lambda: LambdaProcess | undefined;
  try {
    const definition = {
      stages: [
        { id: 'build', tasks: [{ id: 'compile', task: 'compile' }] },
        { id: 'test', dependsOn: ['build'] },
      ],
    };
    const pipelines = Array.from({ length: 20 }, (_, i) => ({ name: `p${i}`, definition }));
    const { projectId, pipelineIds } = await seedProject(bench.database.db, 'bench-memory', pipelines);
    const { key } = await createApiKey({ db: bench.database.db, input: { projectId } });
    const api = await bundleEntry(lambdaFunction('api').entry, workDir, 'api');
    const hello = await bundleEntry('test/bench/fixtures/hello-world.ts', workDir, 'hello');

    const helloProcess = await startLambda(hello.file, lambdaEnv('hello-world', {}), workDir);
    await helloProcess.invoke(apiGatewayV2Event({ method: 'GET', path: '/health' }));
    const helloMemory = residentMiB(helloProcess.pid);
    await helloProcess.stop();

    lambda = await startLambda(api.file, lambdaEnv('pipestore-api', { DATABASE_URL: bench.url, LOG_LEVEL: 'warn' }), workDir);
    const instance = lambda;
    const afterInit = residentMiB(instance.pid);
    const call = async (method: string, path: string, body?: unknown) => {
      const event = apiGatewayV2Event({
        method,
        path,
        headers: { authorization: `Bearer ${key}`, ...(body !== undefined && { 'content-type': 'application/json' }) },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      const result = await instance.invoke<Result>(event);
      if (result.statusCode >= 300) throw new Error(`${method} ${path}: ${result.statusCode} ${result.body}`);
      return JSON.parse(result.body) as Record<string, any>;
    };

    // Ten requests a cycle, on one of the pipelines in turn; reads of runs made earlier spread the
    // cache over many keys, as a busy instance's would be.
    const runIds: string[] = [];
    let sent = 0;
    const cycle = async (n: number) => {
      const pipelineId = pipelineIds[n % pipelineIds.length]!;
      const run = await call('POST', `/v1/pipelines/${pipelineId}/runs`, { input: { n, commit: `c${n}` } });
      runIds.push(run.id);
      await call('PATCH', `/v1/runs/${run.id}`, { status: 'running' });
      await call('PATCH', `/v1/runs/${run.id}`, { currentStage: 'build', stageResults: { build: { ok: true, n } } });
      await call('PATCH', `/v1/runs/${run.id}`, { status: 'succeeded', output: { artifact: `s3://bench/${n}.tgz` } });
      await call('GET', `/v1/runs/${run.id}`);
      await call('GET', `/v1/pipelines/${pipelineId}`);
      await call('GET', `/v1/pipelines/${pipelineId}/runs?limit=20`);
      await call('GET', '/v1/runs?limit=20&status=succeeded');
      await call('GET', `/v1/runs/${runIds[(n * 7919) % runIds.length]}`);
      await call('GET', `/v1/pipelines/${pipelineId}/versions/1`);
      sent += 10;
    };
    const started = performance.now();
    let next = 0;
    await Promise.all(
      Array.from({ length: options.concurrency }, async () => {
        while (next * 10 < options.requests) await cycle(next++);
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const health = JSON.parse((await instance.invoke<Result>(apiGatewayV2Event({ method: 'GET', path: '/health' }))).body) as {
      cache: { entries: number };
    };
    const afterRequests = residentMiB(instance.pid);

    const rows = [
      { instance: 'hello-world Hono, after one request', 'RSS MiB': helloMemory.rss, 'peak MiB': helloMemory.peak },
      { instance: 'pipestore API, after init', 'RSS MiB': afterInit.rss, 'peak MiB': afterInit.peak },
      { instance: `pipestore API, after ${sent} mixed requests`, 'RSS MiB': afterRequests.rss, 'peak MiB': afterRequests.peak },
    ];
    const sizes = [api, hello].map((b) => ({
      bundle: b.name,
      files: b.outputs.length,
      entry: formatBytes(b.bytes),
      'loaded at cold start (node-postgres)': formatBytes(loadedBytes(b)),
      shipped: formatBytes(b.totalBytes),
    }));
    return {
      rows,
      sizes,
      requests: sent,
      seconds: Math.round(seconds * 10) / 10,
      cacheEntries: health.cache.entries,
      rss: afterRequests.rss,
      peak: afterRequests.peak,
    };
  } finally {
    await lambda?.stop();
    rmSync(workDir, { recursive: true, force: true });
    await bench.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await benchMemory();
  if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
  else {
    console.log(`Memory of a warm API instance (${result.requests} mixed requests in ${result.seconds} s; ${result.cacheEntries} cache entries at the end)`);
    console.table(result.rows);
    console.table(result.sizes);
    console.log('Goal: RSS after the requests < 150 MB.');
  }
}
