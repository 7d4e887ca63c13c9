/**
 * `npm run bench`: every benchmark of issue 8 in one run, one after another, each against its
 * baseline measured in the same run, then the goals and tables printed and written to
 * test/bench/RESULTS.md with the machine they ran on. Never part of `npm test`.
 *
 *   npm run bench                          # everything, full sizes (about 6 minutes on 2 cores)
 *   npm run bench -- --quick               # smaller sizes and shorter runs, to check it works
 *   npm run bench -- --only write,scale    # some sections (read, write, invoke, memory, scale, runs, cleanup, cold-start, pgboss, schedules, connections)
 *   npm run bench -- --out /tmp/results.md # somewhere else than test/bench/RESULTS.md
 *
 * Uses TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test): every section works in
 * scratch databases of its own, dropped at the end.
 */
import { writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { serverUrl } from './support/args';
import { type Row, type Section, type SectionRecord, atLeast, atMost, describeMachine, goalRows, loadAverage, renderReport } from './support/report';
import { benchReadPath } from './read-path';
import { benchWritePath } from './write-path';
import { benchScale } from './scale';
import { benchVsPgBoss } from './vs-pgboss';
import { benchColdStart } from './cold-start';
import { benchInvocation } from './invocation';
import { benchMemory } from './memory';
import { benchCleanup } from './cleanup';
import { benchProjectRuns } from './project-runs';
import { benchSchedules } from './schedules';
import { benchConnections, firstRefusing } from './connections';

const { values: args } = parseArgs({
  options: {
    quick: { type: 'boolean', default: false },
    only: { type: 'string' },
    out: { type: 'string', default: join(dirname(fileURLToPath(import.meta.url)), 'RESULTS.md') },
  },
  strict: false,
});
const quick = Boolean(args.quick);

const find = (rows: Row[], match: Row) => {
  const row = rows.find((r) => Object.entries(match).every(([k, v]) => r[k] === v));
  if (!row) throw new Error(`no row ${JSON.stringify(match)}`);
  return row;
};

const SECTIONS: Section[] = [
  {
    id: 'read',
    title: '1. Read path: GET /v1/pipelines/{id}',
    method:
      'The local server (`npm start`) on PostgreSQL, with the memory layer (cached) and without it (uncached, `CACHE_MAX_ENTRIES=0`), against a floor server (bare `node:http` + `pg`, the same key lookup and pipeline query, the same JSON), all under autocannon on loopback with 20 connections, rounds alternating between the three.',
    async run() {
      const rows = await benchReadPath({ seconds: quick ? 3 : 10, rounds: 3, connections: 20 });
      const ratio = (server: string) => Number(find(rows, { server })['x floor']);
      return {
        goals: [
          { figure: 'uncached throughput, x floor', value: ratio('uncached'), ...atLeast(ratio('uncached'), 0.7) },
          { figure: 'cached throughput, x floor', value: ratio('cached'), ...atLeast(ratio('cached'), 2) },
        ],
        tables: [{ caption: 'Throughput and latency (medians of rounds)', rows }],
      };
    },
  },
  {
    id: 'write',
    title: '2. Write path: create run + 3 transitions + completion',
    method:
      "Five writes per sequence through the API in-process (`app.request`: routing, auth, validation, Drizzle, JSON) and through the core functions the routes call, and through the same two routes as a bare @hono/zod-openapi app calling the core (the framework floor), against the same five statements as raw SQL on a `pg` pool (named prepared statements, each row serialized to the API's JSON). Pools of 10 on PostgreSQL, durable commits; sequential sequences, then 20 concurrent workers; rounds rotate which side goes first.",
    async run() {
      const rows = await benchWritePath({ sequences: quick ? 150 : 500, rounds: 3, workers: 20, seconds: quick ? 2 : 4 });
      const ratio = (mode: string, side: string) => Number(find(rows, { mode, side })['x raw']);
      const goals = [];
      for (const mode of ['sequential', '20 workers']) {
        for (const side of ['pipestore API', 'pipestore core']) {
          const value = ratio(mode, side);
          goals.push({ figure: `${side}, ${mode}, x raw pg`, value, ...atLeast(value, 0.7) });
        }
      }
      const floor = ratio('sequential', 'Hono floor + core');
      goals.push({ figure: 'Hono floor + core (bare zod-openapi routes, no pipestore middleware), sequential, x raw pg', value: floor });
      return { goals, tables: [{ caption: 'Sequences per second, latency, round trips and Node CPU per sequence', rows }] };
    },
  },
  {
    id: 'invoke',
    title: "2b. Invocation path: a run's life through the Lambda handler",
    method:
      "The API Lambda bundle (infra/build.ts, as SST builds it) imported in-process and invoked with API Gateway v2 events for a run's life (create, running, a stage patch, succeeded: four invocations), against the floor: a minimal Lambda handler (fixtures/raw-pg-lambda.ts, bundled the same way) doing the same SQL with raw `pg` from the same events (named prepared statements, the key looked up once per instance). Both on node-postgres with one connection per instance, as on Lambda; sequentially on one instance each, then 20 workers on 20 separate instances of each (copies of the bundle, each with its own init). Beside them the same bundle on the RDS Data API through the local endpoint (in this process) on the same database, with its HTTP requests counted. Slices alternate between the sides; durable commits.",
    async run() {
      const { rows } = await benchInvocation({ runs: quick ? 100 : 300, rounds: 3, workers: 20, seconds: quick ? 2 : 3, dataApiRuns: quick ? 30 : 100 });
      const api = (mode: string) => find(rows, { mode, side: 'pipestore API bundle (node-postgres)' });
      const dataApi = find(rows, { mode: 'sequential', side: 'pipestore API bundle (Data API, local endpoint)' });
      const goals = [];
      for (const mode of ['sequential', '20 instances']) {
        const value = Number(api(mode)['x floor']);
        goals.push({ figure: `API bundle, ${mode}, x raw pg handler`, value, ...atLeast(value, 0.7) });
      }
      goals.push({ figure: 'Data API: HTTP requests per invocation', value: Number(dataApi['Data API requests/invocation']) });
      goals.push({
        figure: `Data API: p50 ms per invocation (node-postgres beside it: ${api('sequential')['p50 ms/invocation']})`,
        value: Number(dataApi['p50 ms/invocation']),
      });
      return { goals, tables: [{ caption: 'Run lives per second, latency and Node CPU per life (medians of rounds)', rows }] };
    },
  },
  {
    id: 'memory',
    title: '2c. Memory of a warm API instance, and the bundle sizes',
    method:
      "The API Lambda bundle in a fresh `node` process (the handler tests' runner) on node-postgres, the memory cache at its default bound, answering 10,000 mixed API Gateway v2 events (run lives, reads of runs, pipelines and versions, list pages), 4 in flight; its resident set (VmRSS) after init and after the requests, and its peak (VmHWM); the hello-world Hono bundle after one request beside it.",
    async run() {
      const result = await benchMemory({ requests: quick ? 2_000 : 10_000, concurrency: 4 });
      return {
        goals: [
          { figure: `RSS MiB after ${result.requests} mixed requests (${result.cacheEntries} cache entries)`, value: result.rss, ...atMost(result.rss, 150) },
          { figure: 'peak RSS MiB', value: result.peak },
        ],
        tables: [
          { caption: 'Resident memory', rows: result.rows },
          { caption: 'Bundle sizes', rows: result.sizes },
        ],
      };
    },
  },
  {
    id: 'scale',
    title: `3. Scale: listing runs of a project with ${quick ? '100,000' : '1,000,000'} runs`,
    method:
      'Runs seeded in one INSERT … SELECT (80 % in the listed pipeline), then `listRuns` (what GET /v1/pipelines/{id}/runs runs) over node-postgres: the newest 50, the next page by cursor, with `?status=failed`, and deep pages; beside them the same statement as plain SQL paged by keyset and by OFFSET.',
    async run() {
      const result = await benchScale({ runs: quick ? 100_000 : 1_000_000, queries: 500 });
      const p99 = (query: string) => Number(find(result.rows, { paging: 'listRuns', query })['p99 ms']);
      const newest = result.rows.find((r) => r.paging === 'listRuns')!.query as string;
      return {
        goals: [
          { figure: `p99 ms, ${newest}`, value: p99(newest), ...atMost(p99(newest), 5) },
          { figure: 'p99 ms, next page by cursor', value: p99('next page by cursor'), ...atMost(p99('next page by cursor'), 5) },
        ],
        tables: [{ caption: `Latency per query (${result.seed.runs} runs; seeded in ${result.seed.totalSeconds} s)`, rows: result.rows }],
        notes: result.plans.map((plan) => {
          const used = plan.plan.some((line) => line.includes(plan.index));
          return `EXPLAIN of listRuns ${plan.query}: ${used ? 'walks' : 'does NOT walk'} \`${plan.index}\` (\`${plan.plan[0]}\`)`;
        }),
      };
    },
  },
  {
    id: 'runs',
    title: `3b. Runs across a project: GET /v1/runs filters and /v1/runs/stats on ${quick ? '100,000' : '1,000,000'} runs over 200 pipelines`,
    method:
      "Runs seeded in one INSERT … SELECT over 200 pipelines (50,000 a day; 65 % api / 30 % schedule / 5 % console; 85 % succeeded), then `listProjectRuns` and `runStats` (what the routes run) over node-postgres: each filter combination's first page and next page by cursor, stats over 24 h and 31 days, with the EXPLAIN (ANALYZE) of each statement (the stats read run_rollups, rebuilt after the seeding by `rebuild_run_rollups()` since the load ran with triggers off); then run and task-run lifecycles with and without the indexes issue 16 added (alternating rounds, same table), and run lifecycles with the stats rollup triggers disabled (each round).",
    async run() {
      const result = await benchProjectRuns({ runs: quick ? 100_000 : 1_000_000, queries: quick ? 50 : 200, writes: quick ? 50 : 200, rounds: 3 });
      const worst = Math.max(...result.rows.flatMap((r) => [Number(r['first p99 ms']), Number(r['next p99 ms'] || 0)]));
      const stat = (window: string) => Number(find(result.stats, { window })['p50 ms']);
      return {
        goals: [
          { figure: 'worst p99 ms of any filter combination, first or next page', value: worst, ...atMost(worst, 10) },
          { figure: 'stats p50 ms, 24 h', value: stat('24 h'), ...atMost(stat('24 h'), 50) },
          { figure: 'stats p50 ms, 31 days', value: stat('31 days'), ...atMost(stat('31 days'), 500) },
        ],
        tables: [
          {
            caption: `GET /v1/runs filter combinations (${result.seed.runs} runs, ${result.seed.pipelines} pipelines; seeded in ${result.seed.seededSeconds} s; ${result.seed.rollupRows} rollup rows rebuilt in ${result.seed.rollupRebuildSeconds} s)`,
            rows: result.rows,
          },
          { caption: 'GET /v1/runs/stats', rows: result.stats },
          {
            caption: 'Write path: medians per lifecycle with and without the new indexes (last row: without and with the stats rollup triggers)',
            rows: result.writes,
          },
        ],
        notes: result.plans.map(
          (plan) =>
            `EXPLAIN ${plan.query}: \`${plan.plan[0]}\`; ${plan.indexOnly ? 'no sequential scan' : 'a sequential scan'}; at most ${plan.maxRows} rows out of any node`,
        ),
      };
    },
  },
  {
    id: 'cleanup',
    title: `4. Cleanup: deleting ${quick ? '100,000' : '1,000,000'} expired runs`,
    method:
      'Terminal runs completed more than RUN_RETENTION_DAYS (90) ago, beside 100,000 recent ones that stay, seeded once into a template database; every side of every round gets a fresh `CREATE DATABASE … TEMPLATE` clone of it. `runCleanup` (batched, called until complete) against one `DELETE` with the same predicate, alternating which goes first; meanwhile 4 workers write runs of another pipeline (createRun, then running, then succeeded) paced at 200 writes/s, also measured alone for 5 s as the baseline. Durable commits for the writes.',
    async run() {
      const rows = await benchCleanup({ rows: quick ? 100_000 : 1_000_000, kept: quick ? 10_000 : 100_000, rounds: 3, workers: 4, writes: 200, idle: 5 });
      const batched = find(rows, { side: 'runCleanup' });
      const single = find(rows, { side: 'single DELETE' });
      const idle = find(rows, { side: 'no cleanup (writes only)' });
      const ratio = Number(batched['x single']);
      return {
        goals: [
          { figure: 'runCleanup time, x single DELETE', value: ratio, ...atMost(ratio, 1.5) },
          { figure: 'longest batch ms (single DELETE: the whole deletion)', value: Number(batched['longest batch ms']) },
          { figure: 'run writes p99 ms during runCleanup', value: Number(batched['writes p99 ms']) },
          { figure: 'run writes p99 ms during the single DELETE', value: Number(single['writes p99 ms']) },
          { figure: 'run writes p99 ms with no cleanup', value: Number(idle['writes p99 ms']) },
        ],
        tables: [{ caption: 'Time, batches and concurrent writes (medians of rounds; writes over every round)', rows }],
      };
    },
  },
  {
    id: 'cold-start',
    title: "5. Cold start: the API bundle's first response",
    method:
      'The API Lambda bundle (built by infra/build.ts as SST builds it: ESM, minified, code-split), a hello-world Hono bundle built the same way, and a stack floor (the frameworks the API is built on with one validated route and one query, nothing of pipestore), each imported by a fresh `node` process that then answers one API Gateway event for GET /health (the API on node-postgres, its first connection included); and the API bundle answering a first event that creates a run (key lookup, the runs resource, an insert); runs rotate between the four.',
    async run() {
      const { summary, ratios, floorRatios, runRatios } = await benchColdStart({ runs: quick ? 5 : 15 });
      return {
        goals: [
          { figure: 'spawn -> first response, x hello-world', value: ratios.wall, ...atMost(ratios.wall, 1.5) },
          { figure: 'process start -> first response, x hello-world', value: ratios.process, ...atMost(ratios.process, 1.5) },
          { figure: 'spawn -> first response when it creates a run, x hello-world (/health)', value: runRatios.wall },
          { figure: 'stack floor (zod-openapi + Drizzle + pg, 1 route), spawn -> first response, x hello-world', value: floorRatios.wall },
        ],
        tables: [{ caption: 'Medians per bundle', rows: summary }],
        notes: [`import of the bundle alone: ${ratios.import}x hello-world`],
      };
    },
  },
  {
    id: 'pgboss',
    title: '6. What users pick instead: pg-boss',
    method:
      "Task executions recorded through pipestore's core (startTaskRun pending, then running, then succeeded) against pg-boss 10 (send, fetch, complete) on the same PostgreSQL, each in its own scratch database over a pool of 10, sequentially and with 10 workers, in alternating chunks.",
    async run() {
      const { rows, emptyFetches } = await benchVsPgBoss({ executions: 10_000, sequential: quick ? 500 : 2_000, workers: 10, chunks: 10 });
      const goals = rows
        .filter((r) => r.side === 'pipestore')
        .map((r) => ({ figure: `pipestore x pg-boss, ${r.mode} (exec/s)`, value: Number(r['x pg-boss']) }));
      return {
        goals,
        tables: [{ caption: 'Executions per second, latency, round trips and Node CPU per execution', rows }],
        notes: [`pg-boss fetches that found no job: ${emptyFetches}`],
      };
    },
  },
  {
    id: 'schedules',
    title: '7. Schedules: one tick over 10,000 enabled schedules',
    method:
      "tickSchedules on PostgreSQL over 10,000 pipelines with schedules (10 expressions, 5 time zones), in the steady state (each next slot computed); 1,000 of them due at the tick's instant, restored before every round. Against one raw `insert … select` of the same 1,000 runs (the least a tick must write) and a `select 1` round trip; round trips counted at the driver; one warm-up round, then medians.",
    async run() {
      const rows = await benchSchedules({ schedules: 10_000, due: 1_000, rounds: quick ? 3 : 5 });
      const due = rows[0]!;
      const idle = rows[2]!;
      return {
        goals: [
          { figure: 'tick with 1,000 of 10,000 due, ms', value: Number(due['median ms']), ...atMost(Number(due['median ms']), 1000) },
          { figure: 'its round trips (1 read + 1 write per 500 due)', value: Number(due['round trips']) },
          { figure: 'tick with nothing due, ms', value: Number(idle['median ms']), ...atMost(Number(idle['median ms']), 20) },
          { figure: 'its round trips', value: Number(idle['round trips']), ...atMost(Number(idle['round trips']), 1) },
        ],
        tables: [{ caption: 'Tick time (median of rounds), against its floor', rows }],
      };
    },
  },
  {
    id: 'connections',
    title: '8. Connection budget: N concurrent API containers on a cluster with max_connections 20',
    method:
      "A throwaway PostgreSQL (initdb, max_connections 20: 17 for the `app` role, 3 reserved for superusers). N = 10, 50, 100, 200 containers, each a separate module instance of the built API bundle configured as on Lambda (node-postgres: a pool of one connection released after 5 idle seconds; or the Data API through the local endpoint, whose pool of 10 stands for the service's), each serving one request at a time in a closed loop: 70 % `GET /v1/pipelines?limit=5`, 30 % `POST /v1/pipelines/{id}/runs`, a 503 retried after its Retry-After. All in one Node process on this machine: throughput is bounded by it, compare the setups and the N, not absolute rates. Connections of the `app` role sampled every 50 ms, and once 10 s after the load.",
    async run() {
      const rows = await benchConnections({ instances: quick ? [10, 50] : [10, 50, 100, 200], seconds: quick ? 3 : 8 });
      const afterColumn = 'connections 10 s after';
      const worstAfter = (setup: string) => Math.max(...rows.filter((r) => r.setup === setup).map((r) => Number(r[afterColumn])));
      const nonRefusalErrors = rows.filter((r) => r['other non-2xx'] !== 0).length;
      return {
        goals: [
          { figure: 'node-postgres: smallest N measured that met 503s (0: none)', value: firstRefusing(rows, 'node-postgres') ?? 0 },
          { figure: 'Data API: smallest N measured that met 503s (0: none)', value: firstRefusing(rows, 'Data API') ?? 0 },
          {
            figure: 'node-postgres: connections held 10 s after the load, worst N',
            value: worstAfter('node-postgres'),
            ...atMost(worstAfter('node-postgres'), 0),
          },
          { figure: 'loads with answers other than 2xx and 503', value: nonRefusalErrors, ...atMost(nonRefusalErrors, 0) },
        ],
        tables: [{ caption: 'Per setup and container count (one run each; load = 1/5/15-minute load average at the end of the load)', rows }],
      };
    },
  },
];

const wanted = typeof args.only === 'string' ? new Set(args.only.split(',')) : undefined;
const unknown = [...(wanted ?? [])].filter((id) => !SECTIONS.some((s) => s.id === id));
if (unknown.length) throw new Error(`--only: unknown section(s) ${unknown.join(', ')}; known: ${SECTIONS.map((s) => s.id).join(', ')}`);

const machine = await describeMachine(serverUrl);
console.log('Machine:');
console.table(machine);
const records: SectionRecord[] = [];
for (const section of SECTIONS.filter((s) => !wanted || wanted.has(s.id))) {
  console.log(`\n== ${section.title}`);
  const loadBefore = loadAverage();
  const started = performance.now();
  const record: SectionRecord = { section, seconds: 0, loadBefore, loadAfter: '' };
  try {
    record.result = await section.run();
    for (const table of record.result.tables) {
      console.log(table.caption);
      console.table(table.rows);
    }
    console.table(goalRows(record.result.goals));
  } catch (err) {
    // One broken section must not cost the others' figures; it is reported as failed.
    record.error = err instanceof Error ? err.message : String(err);
    console.error(`${section.id} failed:`, err);
  }
  record.seconds = (performance.now() - started) / 1000;
  record.loadAfter = loadAverage();
  records.push(record);
}

const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
writeFileSync(String(args.out), renderReport(machine, records, command));
console.log(`\nWritten to ${args.out}`);
if (records.some((r) => r.error)) process.exitCode = 1;
