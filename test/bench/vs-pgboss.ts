/**
 * What users pick instead: recording task executions (create, start, complete) through
 * pipestore's core against pg-boss 10 (send, fetch, complete), on the same PostgreSQL server, each
 * in its own scratch database, each over a pg pool of 10.
 *
 * pipestore: one run (createRun, then running) of a pipeline whose definition has 10 stages of 10
 * tasks; execution i is task t(i % 10) of stage s(i / 10 % 10), attempt i / 100 + 1, recorded as
 * startTaskRun(status pending) -> updateTaskRun(running) -> updateTaskRun(succeeded). Attempts are
 * the only way to get 10,000 distinct task runs into one run within the definition limits (100
 * tasks per stage); the core does not care whether attempt n-1 succeeded.
 *
 * pg-boss: one standard queue; each execution is send(), then fetch() of one job, then
 * complete() of the job fetched. With several workers a worker may fetch another worker's job,
 * which is how a queue is used. Supervision (maintenance) and scheduling are off: they run in the
 * background on timers and would only add noise; pg-boss's round trips are counted through its
 * `db` option on a pool that counts like pipestore's driver does.
 *
 * Each side records `--executions` with `--workers` concurrent workers, and `--sequential` one at
 * a time (fewer by default: at 3 commits an execution, 10,000 sequential ones per side would take
 * minutes whenever the shared disk is slow to flush; the medians settle long before), in
 * `--chunks` alternating chunks so that changes in machine load hit both sides alike.
 *
 *   npm run bench:pgboss [-- --executions 10000 --sequential 2000 --workers 10 --chunks 10 --async-commit --json]
 */
import PgBoss from 'pg-boss';
import { createRun, updateRun } from '../../functions/core/runs';
import { startTaskRun, updateTaskRun } from '../../functions/core/task-runs';
import { createScratchDatabase } from '../support/scratch-database';
import { arg, median, serverUrl } from './support/args';
import { asyncCommit, countingPool, gridDefinition, latency, ms, openBenchDatabase, seedProject, sessionUrl } from './support/seed';

const QUEUE = 'bench-tasks';
const STAGES = 10;
const TASKS_PER_STAGE = 10;

export async function benchVsPgBoss(
  options = { executions: arg('executions', 10_000), sequential: arg('sequential', 2_000), workers: arg('workers', 10), chunks: arg('chunks', 10) },
) {
  const store = await openBenchDatabase('bench_pgboss_ps', 10);
  const bossScratch = await createScratchDatabase(serverUrl, 'bench_pgboss_boss').catch(async (err: unknown) => {
    await store.close();
    throw err;
  });
  const bossPool = countingPool(sessionUrl(bossScratch.url), 10);
  const boss = new PgBoss({
    db: { executeSql: (text: string, values: unknown[]) => bossPool.pool.query(text, values) },
    supervise: false,
    schedule: false,
    migrate: true,
  });
  boss.on('error', (err) => console.error('pg-boss:', err));
  try {
    const { db } = store.database;
    const { projectId, pipelineIds } = await seedProject(db, 'bench-pgboss', [{ name: 'grid', definition: gridDefinition(STAGES, TASKS_PER_STAGE) }]);
    const run = await createRun({ db, input: { projectId, pipelineId: pipelineIds[0]! } });
    await updateRun({ db, input: { projectId, runId: run.id, patch: { status: 'running' } } });
    let next = 0; // execution index across warm-up and both modes: every (stage, task, attempt) is new
    const viaPipestore = async () => {
      const i = next++;
      const at = { stageId: `s${Math.floor(i / TASKS_PER_STAGE) % STAGES}`, taskId: `t${i % TASKS_PER_STAGE}` };
      const attempt = Math.floor(i / (STAGES * TASKS_PER_STAGE)) + 1;
      const taskRun = await startTaskRun({ db, input: { projectId, runId: run.id, ...at, attempt, status: 'pending', input: { i } } });
      await updateTaskRun({ db, input: { projectId, taskRunId: taskRun.id, patch: { status: 'running' } } });
      await updateTaskRun({ db, input: { projectId, taskRunId: taskRun.id, patch: { status: 'succeeded', output: { ok: true } } } });
    };

    await boss.start();
    await boss.createQueue(QUEUE);
    let emptyFetches = 0;
    const viaPgBoss = async () => {
      await boss.send(QUEUE, { i: next++ });
      // Another worker can take the job just sent; there is then always another one to take.
      for (;;) {
        const [job] = await boss.fetch(QUEUE);
        if (job) {
          await boss.complete(QUEUE, job.id, { ok: true });
          return;
        }
        emptyFetches++;
      }
    };

    const sides = {
      pipestore: { record: viaPipestore, roundTrips: () => store.database.roundTrips },
      'pg-boss': { record: viaPgBoss, roundTrips: () => bossPool.roundTrips },
    };
    type Side = keyof typeof sides;
    // `count` executions of one side on `workers` loops; per-execution latency, wall time, round trips.
    const execute = async (side: Side, count: number, workers: number) => {
      const before = sides[side].roundTrips();
      const cpuBefore = process.cpuUsage();
      const times: number[] = [];
      let left = count;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: workers }, async () => {
          while (left-- > 0) {
            const t = performance.now();
            await sides[side].record();
            times.push(performance.now() - t);
          }
        }),
      );
      // Node CPU (this process: pipestore's core or pg-boss's client code, and pg), Postgres excluded.
      const cpu = process.cpuUsage(cpuBefore);
      return { times, seconds: (performance.now() - started) / 1000, roundTrips: sides[side].roundTrips() - before, cpuMs: (cpu.user + cpu.system) / 1000 };
    };

    for (const side of Object.keys(sides) as Side[]) await execute(side, 300, options.workers); // warm-up

    const rows = [];
    const modes = [
      ['sequential', 1, options.sequential],
      [`${options.workers} workers`, options.workers, options.executions],
    ] as const;
    for (const [mode, workers, total] of modes) {
      const chunks: Record<Side, Awaited<ReturnType<typeof execute>>[]> = { pipestore: [], 'pg-boss': [] };
      const size = Math.ceil(total / options.chunks);
      for (let c = 0, done = 0; done < total; c++, done += size) {
        const order: Side[] = c % 2 ? ['pg-boss', 'pipestore'] : ['pipestore', 'pg-boss'];
        for (const side of order) chunks[side].push(await execute(side, Math.min(size, total - done), workers));
      }
      const rate = (side: Side) => median(chunks[side].map((c) => c.times.length / c.seconds));
      for (const side of Object.keys(sides) as Side[]) {
        const all = chunks[side];
        const executions = all.reduce((n, c) => n + c.times.length, 0);
        rows.push({
          mode,
          side,
          executions,
          seconds: ms(all.reduce((s, c) => s + c.seconds, 0)),
          'exec/s': Math.round(rate(side)),
          'x pg-boss': Number((rate(side) / rate('pg-boss')).toFixed(2)),
          ...latency(all.flatMap((c) => c.times)),
          'round trips/exec': ms(all.reduce((n, c) => n + c.roundTrips, 0) / executions),
          'node CPU ms/exec': ms(all.reduce((n, c) => n + c.cpuMs, 0) / executions),
          chunks: all.map((c) => Math.round(c.times.length / c.seconds)).join(' / '),
        });
      }
    }
    return { rows, emptyFetches };
  } finally {
    await boss.stop({ graceful: false, wait: true }).catch(() => undefined);
    await bossPool.pool.end();
    await bossScratch.drop();
    await store.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await benchVsPgBoss();
  if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
  else {
    const commit = asyncCommit ? 'synchronous_commit=off' : 'durable commits';
    console.log(`Task executions (create, start, complete): pipestore core vs pg-boss 10, PostgreSQL ${new URL(serverUrl).host}, pools of 10, ${commit}`);
    console.table(result.rows);
    console.log(`exec/s: median over chunks; x pg-boss = pipestore / pg-boss. pg-boss fetches that found no job: ${result.emptyFetches}`);
  }
}
