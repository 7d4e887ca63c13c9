/**
 * Latency of one primary-key select through Drizzle on each driver: PGlite in memory,
 * node-postgres and the RDS Data API (real RDSDataClient against the local endpoint), plus a raw
 * `pg` query as the floor node-postgres could reach.
 *
 *   npm run bench:pk                        # against postgres://postgres@127.0.0.1:5432/test
 *   TEST_DATABASE_URL=… npm run bench:pk -- --iterations 5000 --rounds 5 --json
 *
 * A scratch database is created on that server (shared by node-postgres and the Data API) and
 * dropped at the end.
 */
import { parseArgs } from 'node:util';
import { eq } from 'drizzle-orm';
import pg from 'pg';
import { createDatabase, type Database } from '../../db/client';
import { loadConfig } from '../../functions/config';
import { migrateDatabase } from '../../db/migrate';
import { pipelines, pipelineVersions, projects } from '../../db/schema';
import { pgBackend, startDataApiServer, type DataApiServer } from '../support/data-api/server';
import { createScratchDatabase } from '../support/scratch-database';

const { values: args } = parseArgs({
  options: {
    iterations: { type: 'string', default: '2000' },
    warmup: { type: 'string', default: '200' },
    rounds: { type: 'string', default: '3' },
    json: { type: 'boolean', default: false },
  },
});
const positive = (name: string, value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name}: expected a positive integer, got ${value}`);
  return n;
};
const iterations = positive('iterations', args.iterations);
const warmup = positive('warmup', args.warmup);
const rounds = positive('rounds', args.rounds);
const serverUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

// The SDK resolves credentials before sending anything; the local endpoint ignores signatures.
process.env.AWS_ACCESS_KEY_ID ??= 'AKIALOCALBENCH';
process.env.AWS_SECRET_ACCESS_KEY ??= 'local-bench-secret';
process.env.AWS_REGION ??= 'us-east-1';

const PROJECT_ID = 'prj_bench';
const PIPELINE_ID = 'pl_bench';
const VERSION_ID = 'pv_bench';

/** Idempotent: node-postgres and the Data API share one database and both seed it. */
async function seed({ db }: Database): Promise<void> {
  await db.insert(projects).values({ id: PROJECT_ID, name: 'bench' }).onConflictDoNothing();
  await db
    .insert(pipelines)
    .values({ id: PIPELINE_ID, projectId: PROJECT_ID, name: 'bench', labels: { team: 'bench' } })
    .onConflictDoNothing();
  await db
    .insert(pipelineVersions)
    .values({
      id: VERSION_ID,
      projectId: PROJECT_ID,
      pipelineId: PIPELINE_ID,
      number: 1,
      hash: 'bench',
      definition: { stages: [{ id: 'build', tasks: [{ id: 'compile', task: 'compile' }] }] },
    })
    .onConflictDoNothing();
  await db.update(pipelines).set({ activeVersionId: VERSION_ID }).where(eq(pipelines.id, PIPELINE_ID));
}

interface Target {
  name: string;
  select: () => Promise<unknown[]>;
  /** Driver-level round trips so far; absent for the raw baseline, which bypasses the wrapper. */
  roundTrips?: () => number;
}

const drizzleTarget = (name: string, database: Database): Target => ({
  name,
  select: () => database.db.select().from(pipelines).where(eq(pipelines.id, PIPELINE_ID)),
  roundTrips: () => database.roundTrips,
});

const sortedAt = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]!;
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

async function measureRound(target: Target) {
  const times = new Array<number>(iterations);
  const before = target.roundTrips?.();
  for (let i = 0; i < iterations; i++) {
    const started = performance.now();
    await target.select();
    times[i] = performance.now() - started;
  }
  const roundTrips = before === undefined ? undefined : (target.roundTrips!() - before) / iterations;
  times.sort((a, b) => a - b);
  return { median: median(times), p95: sortedAt(times, 0.95), roundTrips };
}

const closers: (() => Promise<unknown>)[] = [];
const targets: Target[] = [];
try {
  const pglite = await createDatabase({ driver: 'pglite', dataDir: null });
  closers.push(() => pglite.close());
  await migrateDatabase(pglite);
  await seed(pglite);
  targets.push(drizzleTarget('pglite (in memory)', pglite));

  const scratch = await createScratchDatabase(serverUrl, 'bench_pk');
  closers.push(() => scratch.drop());
  // The server configuration npm start would use for this URL (pool of 10).
  const nodePg = await createDatabase(loadConfig({ DATABASE_URL: scratch.url }, 'server').database);
  closers.unshift(() => nodePg.close());
  await migrateDatabase(nodePg);
  await seed(nodePg);
  targets.push(drizzleTarget('node-postgres', nodePg));

  const rawPool = new pg.Pool({ connectionString: scratch.url, max: 10 });
  closers.unshift(() => rawPool.end());
  targets.push({
    name: 'pg raw pool.query',
    select: async () => (await rawPool.query('select * from pipelines where id = $1', [PIPELINE_ID])).rows,
  });

  const server: DataApiServer = await startDataApiServer(pgBackend(scratch.url));
  closers.unshift(() => server.close());
  const dataApi = await createDatabase({
    driver: 'data-api',
    resourceArn: server.resourceArn,
    secretArn: server.secretArn,
    database: server.database,
    endpoint: server.endpoint,
  });
  closers.unshift(() => dataApi.close());
  await migrateDatabase(dataApi);
  await seed(dataApi);
  targets.push(drizzleTarget('data-api (local endpoint)', dataApi));

  for (const target of targets) {
    const rows = await target.select();
    if (rows.length !== 1) throw new Error(`${target.name}: expected 1 row, got ${rows.length}`);
    for (let i = 0; i < warmup; i++) await target.select();
  }

  // Rounds are interleaved across drivers rather than run back to back, so a slow stretch of the
  // (shared, 2-core) machine spreads over every driver instead of skewing one of them.
  const results = new Map(targets.map((t) => [t, [] as Awaited<ReturnType<typeof measureRound>>[]]));
  for (let round = 0; round < rounds; round++) {
    for (const target of targets) results.get(target)!.push(await measureRound(target));
    if (!args.json) process.stderr.write(`round ${round + 1}/${rounds} done\n`);
  }

  const round3 = (x: number) => Math.round(x * 1000) / 1000;
  const summary = targets.map((target) => {
    const rs = results.get(target)!;
    const trips = rs.map((r) => r.roundTrips).filter((x): x is number => x !== undefined);
    return {
      target: target.name,
      medianMs: round3(median(rs.map((r) => r.median))),
      p95Ms: round3(median(rs.map((r) => r.p95))),
      roundMediansMs: rs.map((r) => round3(r.median)),
      roundTripsPerSelect: trips.length ? round3(trips.reduce((a, b) => a + b, 0) / trips.length) : null,
    };
  });
  const table = summary.map((r) => ({ ...r, roundMediansMs: r.roundMediansMs.join(' / '), roundTripsPerSelect: r.roundTripsPerSelect ?? '-' }));

  if (args.json) {
    console.log(JSON.stringify({ server: new URL(serverUrl).host, iterations, warmup, rounds, results: summary }, null, 2));
  } else {
    console.log(
      `primary-key select of pipelines, ${iterations} sequential queries x ${rounds} rounds (warm-up ${warmup}); Postgres on ${new URL(serverUrl).host}`,
    );
    console.table(table);
    console.log("medianMs / p95Ms: median over rounds of each round's median / p95. The Data API endpoint runs in this process.");
  }
} finally {
  // Clients before the servers they talk to, the scratch database last.
  for (const close of closers) await close().catch((err) => console.error('close failed:', err));
}
