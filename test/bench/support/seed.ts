/**
 * What the write, scale and pg-boss benchmarks share: a migrated scratch database reached through
 * pipestore's own driver factory, a project with a pipeline made through the core (so the rows are
 * exactly what the product writes), a raw `pg` pool that counts its round trips like
 * `Database.roundTrips` does, and the latency summary every table prints.
 */
import pg from 'pg';
import { countRoundTrips, createDatabase, type Database, type Db } from '../../../db/client';
import type { PipelineDefinition } from '../../../db/schema';
import { migrateDatabase } from '../../../db/migrate';
import { createPipeline } from '../../../functions/core/pipelines';
import { createProject } from '../../../functions/core/projects';
import { createScratchDatabase } from '../../support/scratch-database';
import { median, percentile, serverUrl } from './args';

export interface BenchDatabase {
  url: string;
  database: Database;
  /** Closes the pool and drops the scratch database. */
  close(): Promise<void>;
}

/**
 * `--async-commit`: every session of the benchmark runs with synchronous_commit=off, so a commit
 * does not wait for the WAL flush. On a shared machine that flush swings between 0.3 and several
 * ms with the other engineers' load; turning it off isolates what the code costs (CPU, round
 * trips) from what the disk costs. Off by default: the default is the durable configuration.
 */
export const asyncCommit = process.argv.includes('--async-commit');

/** The URL with the session options the flags ask for. */
export function sessionUrl(url: string): string {
  if (!asyncCommit) return url;
  const withOptions = new URL(url);
  withOptions.searchParams.set('options', '-c synchronous_commit=off');
  return withOptions.toString();
}

/** A fresh database on `serverUrl`, migrated, opened like a server opens it (node-postgres). */
export async function openBenchDatabase(label: string, poolMax = 10): Promise<BenchDatabase> {
  const scratch = await createScratchDatabase(serverUrl, label);
  const url = sessionUrl(scratch.url);
  const database = await createDatabase({
    driver: 'pg',
    connectionString: url,
    poolMax,
    allowExitOnIdle: true,
    idleTimeoutMillis: 10_000,
  });
  try {
    await migrateDatabase(database);
  } catch (err) {
    await database.close();
    await scratch.drop();
    throw err;
  }
  return {
    url,
    database,
    close: async () => {
      await database.close().catch(() => undefined);
      await untilNoSessions(scratch.url);
      await scratch.drop();
    },
  };
}

/**
 * pg.Pool#end() resolves once its clients are removed, not once their sockets have closed; a
 * DROP DATABASE … WITH (FORCE) right then kills the stragglers and the driver logs each one as a
 * dropped connection. Waiting (at most 2 s) for the sessions to go keeps the output clean.
 */
async function untilNoSessions(url: string) {
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const name = decodeURIComponent(new URL(url).pathname.slice(1));
    for (const deadline = Date.now() + 2000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 20))) {
      const { rows } = await client.query('select count(*)::int as n from pg_stat_activity where datname = $1', [name]);
      if (rows[0].n === 0) return;
    }
  } finally {
    await client.end();
  }
}

/** `stages` stages of `tasksPerStage` tasks each: s0/t0 … (ids the task-run benchmarks cycle through). */
export function gridDefinition(stages: number, tasksPerStage: number): PipelineDefinition {
  return {
    stages: Array.from({ length: stages }, (_, s) => ({
      id: `s${s}`,
      ...(s > 0 && { dependsOn: [`s${s - 1}`] }),
      tasks: Array.from({ length: tasksPerStage }, (_, t) => ({ id: `t${t}`, task: `task-${s}-${t}` })),
    })),
  };
}

/** A project and its pipelines, created through the core. */
export async function seedProject(db: Db, name: string, pipelines: { name: string; definition: PipelineDefinition }[]) {
  const project = await createProject({ db, input: { name } });
  const created = [];
  for (const p of pipelines) created.push((await createPipeline({ db, input: { projectId: project.id, ...p } }))!.pipeline);
  return { projectId: project.id, pipelineIds: created.map((p) => p.id) };
}

/**
 * A plain pg.Pool whose clients count every query they send, counted where pipestore's driver
 * counts them (client.query), so both sides of a comparison report round trips the same way.
 */
export function countingPool(connectionString: string, max = 10) {
  const pool = new pg.Pool({ connectionString, max });
  pool.on('error', () => undefined);
  const roundTrips = countRoundTrips(pool);
  return {
    pool,
    get roundTrips() {
      return roundTrips();
    },
  };
}

/**
 * Bulk load of pipeline_runs the way a restore would: the secondary indexes are dropped and rebuilt
 * afterwards from their own definitions (one sorted build each instead of millions of index
 * insertions), and the foreign-key triggers are skipped (session_replication_role, superuser only)
 * since every reference comes from rows the statement reads. Then VACUUM ANALYZE, as autovacuum
 * would have left an aged table (visibility map, statistics). Times in seconds since the start.
 */
export async function bulkLoadRuns(admin: pg.Client, insertSql: string, params: unknown[]) {
  const started = performance.now();
  const { rows: indexes } = await admin.query<{ name: string; definition: string }>(
    `select indexname as name, indexdef as definition from pg_indexes where tablename = 'pipeline_runs'
     and indexname not in (select conname from pg_constraint)`,
  );
  for (const index of indexes) await admin.query(`drop index "${index.name}"`);
  await admin.query(`set session_replication_role = replica`);
  await admin.query(insertSql, params);
  await admin.query(`set session_replication_role = default`);
  const inserted = performance.now();
  await admin.query(`set maintenance_work_mem = '256MB'`);
  for (const index of indexes) await admin.query(index.definition);
  const indexed = performance.now();
  await admin.query('vacuum analyze pipeline_runs');
  const s = (t: number) => ms((t - started) / 1000);
  return { insertSeconds: s(inserted), indexedSeconds: s(indexed), totalSeconds: s(performance.now()) };
}

/**
 * EXPLAIN (ANALYZE, BUFFERS) of a statement `call` sends (its first or its last), caught at the
 * pool Drizzle calls (its `$client`) and replayed with the same parameters, so the planner sees
 * what it saw.
 */
export async function explainSent(db: object, admin: pg.Client, call: () => Promise<unknown>, which: 'first' | 'last') {
  const pool = (db as { $client: { query: (...args: unknown[]) => unknown } }).$client;
  const original = pool.query;
  let caught: { text: string; values: unknown[] } | undefined;
  pool.query = (...args: unknown[]) => {
    const [query, values] = args as [{ text?: string; values?: unknown[] } | string, unknown[] | undefined];
    const sent = typeof query === 'string' ? { text: query, values: values ?? [] } : { text: query.text!, values: values ?? query.values ?? [] };
    if (which === 'last' || !caught) caught = sent;
    return original.apply(pool, args);
  };
  try {
    await call();
  } finally {
    pool.query = original;
  }
  const { rows } = await admin.query(`explain (analyze, buffers) ${caught!.text}`, caught!.values);
  return { sql: caught!.text, plan: rows.map((r) => r['QUERY PLAN'] as string) };
}

/** Milliseconds, rounded for a table. */
export const ms = (x: number) => Number(x.toFixed(3));

/** p50/p99 of one set of samples, in the shape the tables print. */
export const latency = (times: number[]) => ({ 'p50 ms': ms(median(times)), 'p99 ms': ms(percentile(times, 0.99)) });

/** Runs `fn` in `workers` parallel loops until `seconds` have passed; per-call latencies and the rate. */
export async function closedLoop(workers: number, seconds: number, fn: (worker: number) => Promise<unknown>) {
  const times: number[] = [];
  const started = performance.now();
  const deadline = started + seconds * 1000;
  await Promise.all(
    Array.from({ length: workers }, async (_, worker) => {
      while (performance.now() < deadline) {
        const t = performance.now();
        await fn(worker);
        times.push(performance.now() - t);
      }
    }),
  );
  return { times, perSecond: times.length / ((performance.now() - started) / 1000) };
}
