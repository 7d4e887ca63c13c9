/**
 * Schedules: one tickSchedules over 10,000 enabled schedules with 1,000 of them due, and a tick
 * with nothing due, on PostgreSQL (node-postgres, the driver's round trips counted).
 *
 * Seeded with SQL: 10,000 pipelines, each with an active version and a schedule drawn from a mix
 * of 20 expressions in 5 time zones (what a project's crons look like), in the tick's steady
 * state: every schedule's next slot already computed; for `due` of them it is the minute the tick
 * runs in, for the others a later one. Every round restores that state (outside the timing):
 * the due schedules' next slot back, their runs deleted, VACUUM ANALYZE.
 *
 * Baselines in the same process, same database:
 *   due floor       one raw `insert … select` of the same number of runs (ids, pinned version, slot),
 *                   the least any tick must do to write them
 *   idle floor      one `select 1` round trip
 * Goals: the due tick under 1 s with round trips independent of the number of
 * schedules; the idle tick under 20 ms.
 *
 *   npm run bench:schedules [-- --schedules 10000 --due 1000 --rounds 5]
 */
import { sql } from 'drizzle-orm';
import type { Database } from '../../db/client';
import { tickSchedules } from '../../functions/core/schedules';
import { setLogLevel } from '../../functions/log';
import { arg, median } from './support/args';
import { ms, openBenchDatabase } from './support/seed';

// The due ones all have a slot at the top of an hour in every zone below (whole-hour offsets).
const DUE_EXPRESSIONS = ['* * * * *', '*/5 * * * *', '*/15 * * * *', '0 * * * *'];
const OTHER_EXPRESSIONS = ['30 * * * *', '0 */2 * * *', '0 3 * * *', '30 2 * * *', '0 9 * * 1-5', '0 0 1 * *'];
const ZONES = ['UTC', 'Europe/Berlin', 'America/New_York', 'Asia/Tokyo', 'Australia/Sydney'];
const textArray = (values: string[]) =>
  sql`array[${sql.join(
    values.map((v) => sql`${v}`),
    sql`, `,
  )}]::text[]`;

const rowsOf = <T>(result: unknown) => (result as { rows: T[] }).rows;

async function seed(database: Database, schedules: number, due: number, slot: Date) {
  const { db } = database;
  const [project] = rowsOf<{ id: string }>(await db.execute(sql`insert into projects (id, name) values ('proj_bench_schedules', 'bench') returning id`));
  // Pipelines, then their versions, then the active version: the same order the core uses.
  await db.execute(sql`
    insert into pipelines (id, project_id, name, schedule, timezone, schedule_since, schedule_next_at)
    select 'pl_bench_' || g, ${project!.id}, 'sched-' || g,
      case when g <= ${due} then (${textArray(DUE_EXPRESSIONS)})[1 + g % ${DUE_EXPRESSIONS.length}]
        else (${textArray(OTHER_EXPRESSIONS)})[1 + g % ${OTHER_EXPRESSIONS.length}] end,
      (${textArray(ZONES)})[1 + (g / 7) % ${ZONES.length}],
      ${slot.toISOString()}::timestamptz - interval '1 day',
      case when g <= ${due} then ${slot.toISOString()}::timestamptz else ${slot.toISOString()}::timestamptz + (1 + g % 600) * interval '1 minute' end
    from generate_series(1, ${schedules}) g`);
  await db.execute(sql`
    insert into pipeline_versions (id, project_id, pipeline_id, number, hash, definition)
    select 'plv_bench_' || g, ${project!.id}, 'pl_bench_' || g, 1, md5(g::text), '{"stages":[{"id":"s"}]}'::jsonb
    from generate_series(1, ${schedules}) g`);
  await db.execute(sql`update pipelines set active_version_id = 'plv_' || substr(id, 4)`);
  await db.execute(sql`vacuum analyze pipelines`);
  await db.execute(sql`vacuum analyze pipeline_versions`);
}

/** Back to the state before a tick: the due schedules' next slot, no runs. */
async function restore(database: Database, due: number, slot: Date) {
  const { db } = database;
  await db.execute(sql`delete from pipeline_runs`);
  await db.execute(sql`update pipelines set schedule_next_at = ${slot.toISOString()}::timestamptz, last_scheduled_for = null
    where id in (select 'pl_bench_' || g from generate_series(1, ${due}) g)`);
  await db.execute(sql`vacuum analyze pipelines`);
  await db.execute(sql`vacuum analyze pipeline_runs`);
}

async function timed<T>(database: Database, fn: () => Promise<T>) {
  const trips = database.roundTrips;
  const started = performance.now();
  const result = await fn();
  return { ms: performance.now() - started, roundTrips: database.roundTrips - trips, result };
}

export async function benchSchedules(options = { schedules: arg('schedules', 10_000), due: arg('due', 1_000), rounds: arg('rounds', 5) }) {
  setLogLevel('silent');
  const bench = await openBenchDatabase('bench_schedules', 2);
  const { database } = bench;
  try {
    // The top of an hour in the future (a slot of every due expression in every zone), so no
    // seeded slot is before the schedules existed.
    const slot = new Date(Math.ceil(Date.now() / 3600_000) * 3600_000 + 3600_000);
    const now = new Date(slot.getTime() + 7_000);
    await seed(database, options.schedules, options.due, slot);

    const samples = { dry: [] as number[], due: [] as number[], dueFloor: [] as number[], idle: [] as number[], idleFloor: [] as number[] };
    const trips = { dry: 0, due: 0, idle: 0, fired: 0 };
    // One warm-up round: croner's jobs, the connection, the plans.
    for (let round = 0; round <= options.rounds; round++) {
      await restore(database, options.due, slot);
      const dry = await timed(database, () => tickSchedules({ db: database.db, now, dryRun: true }));
      const due = await timed(database, () => tickSchedules({ db: database.db, now }));
      if (due.result.fired.length !== options.due) throw new Error(`expected ${options.due} runs, the tick created ${due.result.fired.length}`);
      const idle = await timed(database, () => tickSchedules({ db: database.db, now }));
      if (idle.result.fired.length !== 0) throw new Error('a second tick at the same instant created runs');

      await database.db.execute(sql`delete from pipeline_runs`);
      await database.db.execute(sql`vacuum analyze pipeline_runs`);
      const dueFloor = await timed(database, () =>
        database.db.execute(sql`
          insert into pipeline_runs (id, project_id, pipeline_id, version_id, trigger, scheduled_for, missed_slots)
          select 'run_bench_' || g, 'proj_bench_schedules', 'pl_bench_' || g, 'plv_bench_' || g, 'schedule', ${slot.toISOString()}::timestamptz, 0
          from generate_series(1, ${options.due}) g`),
      );
      const idleFloor = await timed(database, () => database.db.execute(sql`select 1`));
      if (round === 0) continue;
      samples.dry.push(dry.ms);
      samples.due.push(due.ms);
      samples.idle.push(idle.ms);
      samples.dueFloor.push(dueFloor.ms);
      samples.idleFloor.push(idleFloor.ms);
      trips.dry = dry.roundTrips;
      trips.due = due.roundTrips;
      trips.idle = idle.roundTrips;
      trips.fired = due.result.fired.length;
    }
    const row = (tick: string, times: number[], floor: number[], roundTrips: number, fired: number) => ({
      tick,
      schedules: options.schedules,
      'runs created': fired,
      'median ms': ms(median(times)),
      'floor ms': ms(median(floor)),
      'x floor': Number((median(times) / median(floor)).toFixed(2)),
      'round trips': roundTrips,
    });
    return [
      row(`${options.due} due`, samples.due, samples.dueFloor, trips.due, trips.fired),
      // Where the time goes: the read and the cron arithmetic without the write.
      row(`${options.due} due, --dry-run`, samples.dry, samples.dueFloor, trips.dry, 0),
      row('nothing due', samples.idle, samples.idleFloor, trips.idle, 0),
    ];
  } finally {
    await bench.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.table(await benchSchedules());
}
