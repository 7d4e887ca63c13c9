/**
 * Cleanup: deleting 1,000,000 expired runs in batches (runCleanup), against one single DELETE of
 * the same rows, with the latency of a live pipeline's writes while each runs, on PostgreSQL.
 *
 * The rows: terminal pipeline runs completed more than RUN_RETENTION_DAYS (90) ago, the big table
 * and the step that matters. They carry no task runs or DLQ entries, so `--rows` is exactly what
 * is deleted; the ON DELETE CASCADE triggers towards task_runs and dlq still fire for every run
 * (an index probe each) on both sides. Beside them `--kept` recent terminal runs that must stay.
 * The rows look like scale.ts's (same columns, jsonb sizes, ids sorting like created_at) and are
 * laid out in time order, as an append-mostly table is.
 *
 * Seeding happens once, into a template database (one `insert … select … from generate_series`,
 * loaded like a restore, see seedExpiredRuns, then VACUUM ANALYZE). Every measurement runs on a
 * fresh `CREATE DATABASE … TEMPLATE … STRATEGY file_copy` of it: the same rows in the same pages,
 * with the same visibility map and statistics, for both sides of every round.
 *
 * Sides, alternating which goes first by round, each on its own clone:
 *   single DELETE   `delete from pipeline_runs where <runCleanup's predicate>`, one statement
 *   runCleanup      functions/core/cleanup.ts over node-postgres, called until `complete`
 * Goal: runCleanup's total time at most 1.5x the single DELETE's (medians over rounds). Meanwhile
 * `--workers` write runs of another pipeline of the same project through the core (createRun,
 * then updateRun to running and to succeeded), paced at `--writes` per second in all, and every
 * write's latency is kept; the same writers run for `--idle` seconds before each deletion, with
 * nothing else going on, for the baseline. The writers and the single DELETE commit durably
 * (unless `--async-commit`); runCleanup's delete batches do not wait for the flush, by design.
 *
 *   npm run bench:cleanup [-- --rows 1000000 --rounds 3 --kept 100000 --workers 4 --writes 200 --json]
 */
import { eq, sql } from 'drizzle-orm';
import pg from 'pg';
import { createDatabase, type Database } from '../../db/client';
import { pipelineRuns } from '../../db/schema';
import { runCleanup, type CleanupInput } from '../../functions/core/cleanup';
import { createRun, updateRun } from '../../functions/core/runs';
import { setLogLevel } from '../../functions/log';
import { arg, median, serverUrl } from './support/args';
import { asyncCommit, latency, ms, openBenchDatabase, seedProject, sessionUrl } from './support/seed';

const RETENTION: Omit<CleanupInput, 'budgetMs'> = { runRetentionDays: 90, dlqRetentionDays: 30, staleRunAfterSeconds: 600 };
// runCleanup's terminalRuns predicate (functions/core/cleanup.ts), for the single DELETE.
const EXPIRED = `completed_at < now() - 90 * interval '1 day' and status in ('succeeded', 'failed', 'cancelled', 'timed_out')`;

// Expired runs g = 1..$4 created 5 s apart, the newest 100 days ago; kept runs after them, 7 s
// apart up to now. Completed 1 to 11 minutes after creation; status by a cheap hash of g.
const SEED_SQL = `
insert into pipeline_runs (id, project_id, pipeline_id, version_id, status, current_stage, stage_results, input,
  started_at, completed_at, revision, created_at, updated_at)
select 'run_' || lpad(to_hex(g), 26, '0'), $1, $2, $3, s.status, 'test',
  jsonb_build_object('build', jsonb_build_object('ok', true, 'ms', g % 5000)),
  jsonb_build_object('commit', left(md5(g::text), 7), 'branch', 'main'),
  t.created_at + interval '2 seconds', t.created_at + (60 + g % 600) * interval '1 second', 5, t.created_at,
  t.created_at + (60 + g % 600) * interval '1 second'
from generate_series(1, $4::int + $5::int) g
cross join lateral (select date_trunc('milliseconds', now()) - case when g <= $4::int
    then interval '100 days' + ($4::int - g) * interval '5 seconds'
    else ($4::int + $5::int - g + 100) * interval '7 seconds' end as created_at) t
cross join lateral (select case
    when (g::bigint * 7919) % 100 < 85 then 'succeeded' when (g::bigint * 7919) % 100 < 95 then 'failed'
    when (g::bigint * 7919) % 100 < 98 then 'cancelled' else 'timed_out' end as status) s`;

const INPUT = { commit: '9f2c1e7', branch: 'main' };
const OUTPUT = { artifact: 's3://bench/artifact.tgz' };

export async function benchCleanup(
  options = {
    rows: arg('rows', 1_000_000),
    kept: arg('kept', 100_000),
    rounds: arg('rounds', 3),
    workers: arg('workers', 4),
    writes: arg('writes', 200),
    idle: arg('idle', 5),
  },
) {
  setLogLevel('silent'); // runCleanup logs a JSON line per call
  const template = await openBenchDatabase('bench_cleanup', 2);
  const admin = new pg.Client({ connectionString: serverUrl });
  const clones: string[] = []; // names of the clones made, for the cleanup on failure
  try {
    await admin.connect();
    const templateName = new URL(template.url).pathname.slice(1);
    const definition = { stages: [{ id: 'build' }, { id: 'test' }] };
    const pipelines = [
      { name: 'history', definition },
      { name: 'live', definition },
    ];
    const { projectId, pipelineIds } = await seedProject(template.database.db, 'bench-cleanup', pipelines);
    const [history, live] = pipelineIds as [string, string];
    const seed = await seedExpiredRuns(template.url, projectId, history, options.rows, options.kept);
    // CREATE DATABASE … TEMPLATE needs the template to have no sessions left.
    await template.database.close();

    const clone = () => {
      const name = `${templateName}_c${clones.length}`;
      clones.push(name);
      return cloneDatabase(admin, template.url, name, options.workers + 2);
    };

    // The single DELETE, and runCleanup called until it is done (its batches include one for each
    // of the other three steps, which find nothing here): rows deleted and batch figures.
    const sides = {
      'single DELETE': async (database: Database) => {
        const started = performance.now();
        const { rowCount } = (await database.db.execute(sql.raw(`delete from pipeline_runs where ${EXPIRED}`))) as { rowCount: number | null };
        const seconds = (performance.now() - started) / 1000;
        return { seconds, deleted: rowCount ?? 0, batches: 1, longestBatchMs: seconds * 1000 };
      },
      runCleanup: async (database: Database) => {
        const started = performance.now();
        let [deleted, batches, longestBatchMs] = [0, 0, 0];
        for (let complete = false; !complete; ) {
          const result = await runCleanup({ db: database.db, input: { ...RETENTION, budgetMs: 600_000 } });
          [complete, deleted, batches] = [result.complete, deleted + result.steps.terminalRuns, batches + result.batches];
          longestBatchMs = Math.max(longestBatchMs, result.longestBatchMs);
        }
        return { seconds: (performance.now() - started) / 1000, deleted, batches, longestBatchMs };
      },
    };
    type Side = keyof typeof sides;
    type Sample = Awaited<ReturnType<(typeof sides)[Side]>> & { writes: number[] };
    const samples = new Map<Side, Sample[]>();
    const idle: number[] = [];
    const cloneSeconds: number[] = [];

    for (let round = 0; round < options.rounds; round++) {
      const order: Side[] = round % 2 === 0 ? ['runCleanup', 'single DELETE'] : ['single DELETE', 'runCleanup'];
      for (const side of order) {
        const copy = await clone();
        cloneSeconds.push(copy.seconds);
        try {
          const write = writer(copy.database, projectId, live, options.workers, options.writes);
          await write.during(() => sleep(1000)); // warm-up: pool, plans
          idle.push(...(await write.during(() => sleep(options.idle * 1000))).times);
          const { result, times } = await write.during(() => sides[side](copy.database));
          if (result.deleted !== options.rows) throw new Error(`${side} deleted ${result.deleted} runs, expected ${options.rows}`);
          const left = await copy.database.db.$count(pipelineRuns, eq(pipelineRuns.pipelineId, history));
          if (left !== options.kept) throw new Error(`${side} left ${left} runs, expected ${options.kept}`);
          samples.set(side, [...(samples.get(side) ?? []), { ...result, writes: times }]);
          process.stderr.write(`round ${round + 1} ${side}: ${result.seconds.toFixed(1)} s\n`);
        } finally {
          await copy.drop();
        }
      }
    }

    const single = median(samples.get('single DELETE')!.map((s) => s.seconds));
    // The extra rows (baseline writes, seeding, cloning) fill only the columns that apply.
    const blank = { seconds: '', 'x single': '', 'goal <= 1.5x': '', 'rows/s': '', batches: '', 'longest batch ms': '', writes: '' };
    const writes = (times: number[]) => {
      const { 'p50 ms': p50, 'p99 ms': p99 } = latency(times);
      return { writes: times.length, 'writes p50 ms': p50, 'writes p99 ms': p99 };
    };
    const none = { 'writes p50 ms': '', 'writes p99 ms': '' };
    const rows: Record<string, string | number>[] = (Object.keys(sides) as Side[]).map((side) => {
      const runs = samples.get(side)!;
      const seconds = median(runs.map((s) => s.seconds));
      const ratio = seconds / single;
      return {
        side,
        seconds: ms(seconds),
        'x single': Number(ratio.toFixed(2)),
        'goal <= 1.5x': side === 'runCleanup' ? (ratio <= 1.5 ? 'met' : 'MISSED') : '',
        'rows/s': Math.round(options.rows / seconds),
        batches: median(runs.map((s) => s.batches)),
        'longest batch ms': Math.round(median(runs.map((s) => s.longestBatchMs))),
        ...writes(runs.flatMap((s) => s.writes)),
        rounds: runs.map((s) => s.seconds.toFixed(1)).join(' / '),
      };
    });
    rows.push({ side: 'no cleanup (writes only)', ...blank, ...writes(idle), rounds: '' });
    const seeded = `insert ${seed.insertSeconds} s, indexed at ${seed.indexedSeconds} s`;
    rows.push({ side: 'seed template (once)', ...blank, seconds: seed.totalSeconds, ...none, rounds: seeded });
    const cloned = cloneSeconds.map((s) => s.toFixed(1)).join(' / ');
    rows.push({ side: 'clone (each side, round)', ...blank, seconds: ms(median(cloneSeconds)), ...none, rounds: cloned });
    return rows;
  } finally {
    setLogLevel('info');
    for (const name of clones) await admin.query(`drop database if exists "${name}" with (force)`).catch(() => undefined);
    await admin.end().catch(() => undefined);
    await template.close();
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `CREATE DATABASE name TEMPLATE …` of the seeded database, opened like a server opens it
 * (node-postgres, `poolMax`). file_copy copies the files as they are (after a checkpoint) instead
 * of writing every page to the WAL, which the default strategy does: a second WAL stream as large
 * as the table, whose checkpoints would land in the measurements.
 */
async function cloneDatabase(admin: pg.Client, templateUrl: string, name: string, poolMax: number) {
  const template = new URL(templateUrl);
  const started = performance.now();
  for (let attempt = 0; ; attempt++) {
    try {
      await admin.query(`create database "${name}" template "${template.pathname.slice(1)}" strategy file_copy`);
      break;
    } catch (err) {
      // 55006: the template's last sessions are still closing (pg.Pool#end does not wait for them).
      if ((err as { code?: string }).code !== '55006' || attempt > 40) throw err;
      await sleep(50);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  template.pathname = `/${name}`;
  const options = { driver: 'pg', connectionString: sessionUrl(template.toString()), poolMax, allowExitOnIdle: true, idleTimeoutMillis: 10_000 } as const;
  const database = await createDatabase(options);
  return {
    database,
    seconds,
    drop: async () => {
      await database.close();
      // Let the sessions go before dropping, or the driver logs each one it loses as dropped.
      for (const deadline = Date.now() + 2000; Date.now() < deadline; await sleep(20)) {
        const { rows } = await admin.query('select count(*)::int as n from pg_stat_activity where datname = $1', [name]);
        if (rows[0].n === 0) break;
      }
      await admin.query(`drop database if exists "${name}" with (force)`);
    },
  };
}

/**
 * `workers` loops writing runs of `pipelineId` (create, running, succeeded: three writes), paced
 * at `perSecond` writes in all so the load stays what a live platform sends rather than all the
 * machine can take; a write that runs late is followed at once, without a burst to catch up.
 * `during(task)` runs them while `task` does and returns every write's latency.
 */
function writer(database: Database, projectId: string, pipelineId: string, workers: number, perSecond: number) {
  const interval = (workers * 1000) / perSecond;
  const { db } = database;
  return {
    async during<T>(task: () => Promise<T>): Promise<{ result: T; times: number[] }> {
      const times: number[] = [];
      let stop = false;
      const loops = Array.from({ length: workers }, async (_, worker) => {
        // Spread the workers over one interval so their writes do not arrive in lockstep.
        let next = performance.now() + (worker * interval) / workers;
        const paced = async <R>(write: () => Promise<R>) => {
          const wait = next - performance.now();
          if (wait > 0) await sleep(wait);
          next = Math.max(next, performance.now() - interval) + interval;
          const t = performance.now();
          const result = await write();
          times.push(performance.now() - t);
          return result;
        };
        while (!stop) {
          const run = await paced(() => createRun({ db, input: { projectId, pipelineId, input: INPUT } }));
          const update = (patch: Parameters<typeof updateRun>[0]['input']['patch']) => () => updateRun({ db, input: { projectId, runId: run.id, patch } });
          await paced(update({ status: 'running' }));
          await paced(update({ status: 'succeeded', output: OUTPUT }));
        }
      });
      try {
        return { result: await task(), times };
      } finally {
        stop = true;
        await Promise.all(loops);
      }
    },
  };
}

/**
 * `expired` + `kept` runs in one statement, loaded like a restore (as scale.ts's seedRuns): the
 * secondary indexes dropped and rebuilt afterwards, foreign-key triggers skipped
 * (session_replication_role), then VACUUM ANALYZE as autovacuum would have left an aged table.
 * synchronous_commit is off for this session only: the clones are taken after a checkpoint.
 */
export async function seedExpiredRuns(url: string, projectId: string, pipelineId: string, expired: number, kept: number) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    const started = performance.now();
    const { rows: versions } = await client.query('select active_version_id from pipelines where id = $1', [pipelineId]);
    const { rows: indexes } = await client.query<{ name: string; definition: string }>(
      `select indexname as name, indexdef as definition from pg_indexes where tablename = 'pipeline_runs'
       and indexname not in (select conname from pg_constraint)`,
    );
    await client.query(`set synchronous_commit = off`);
    for (const index of indexes) await client.query(`drop index "${index.name}"`);
    await client.query(`set session_replication_role = replica`);
    await client.query(SEED_SQL, [projectId, pipelineId, versions[0].active_version_id, expired, kept]);
    await client.query(`set session_replication_role = default`);
    const inserted = performance.now();
    await client.query(`set maintenance_work_mem = '256MB'`);
    for (const index of indexes) await client.query(index.definition);
    const indexed = performance.now();
    await client.query('vacuum analyze pipeline_runs');
    const s = (t: number) => ms((t - started) / 1000);
    return { insertSeconds: s(inserted), indexedSeconds: s(indexed), totalSeconds: s(performance.now()) };
  } finally {
    await client.end();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await benchCleanup();
  if (process.argv.includes('--json')) console.log(JSON.stringify(rows, null, 2));
  else {
    const commit = asyncCommit ? 'synchronous_commit=off' : 'durable commits';
    console.log(
      `Cleanup: ${arg('rows', 1_000_000)} expired runs (terminal, > 90 days) beside ${arg('kept', 100_000)} kept, runCleanup vs one DELETE, ` +
        `PostgreSQL ${new URL(serverUrl).host}, ${commit}`,
    );
    console.table(rows);
    console.log(
      'x single: total time against the single DELETE, medians over rounds (each side on a fresh clone of one seed); goal for runCleanup <= 1.5x.\n' +
        `writes: ${arg('workers', 4)} workers paced at ${arg('writes', 200)} writes/s in all (createRun, updateRun x2) during each side; p50/p99 over every round.`,
    );
  }
}
