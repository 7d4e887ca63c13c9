/**
 * Runs across a project: GET /v1/runs filters, GET /v1/runs/stats, on 1,000,000 runs
 * over 200 pipelines of one project, on PostgreSQL.
 *
 * Seeding: 200 pipelines made through the core (labels: team = one of 4, tier=gold on 5 of them),
 * then the runs in one `insert … select … from generate_series`, loaded like a restore (indexes
 * rebuilt afterwards, then VACUUM ANALYZE): one every 1.728 s up to now (50,000 a day, so 1M is
 * ~20 days), pipelines round-robin, 85 % succeeded / 10 % failed / 3 % cancelled / 2 % timed_out
 * (the newest 20 live), triggers 65 % api / 30 % schedule / 5 % console.
 *
 * Measured through the core (listProjectRuns, runStats: what the routes run, over node-postgres):
 * each filter combination's first page and the next page by its cursor (p50/p99 over `queries`
 * calls), the stats over 24 h and over 31 days, and the EXPLAIN (ANALYZE, BUFFERS) of each
 * statement (index scans only, no sort of more than a page per walk). Then the write-path cost of
 * the new indexes: run lifecycles (create, running, succeeded) and task-run lifecycles (start
 * running, succeeded) in the same 1M-run table, with and without the indexes this issue added,
 * in alternating rounds.
 *
 *   npm run bench -- --only runs [--quick]
 */
import pg from 'pg';
import type { Db } from '../../db/client';
import { createRun, updateRun } from '../../functions/core/runs';
import { listProjectRuns, type RunFilters } from '../../functions/core/run-queries';
import { runStats } from '../../functions/core/run-stats';
import { startTaskRun, updateTaskRun } from '../../functions/core/task-runs';
import { median } from './support/args';
import { bulkLoadRuns, explainSent, latency, ms, openBenchDatabase, seedProject } from './support/seed';

const PIPELINES = 200;
// Each figure as soon as it is measured (stderr), so a long run interrupted still shows what it got.
const progress = (row: unknown) => process.stderr.write(`${JSON.stringify(row)}\n`);
const PAGE = 50;

// Status and trigger by a hash of g, not by g modulo anything: pipelines are g modulo 200, and a
// status by (g * k) % 100 would give each pipeline one status and one trigger.
const SEED_SQL = `
insert into pipeline_runs (id, project_id, pipeline_id, version_id, status, trigger, current_stage, input,
  started_at, completed_at, heartbeat_at, revision, created_at, updated_at)
select 'run_' || lpad(to_hex(g), 26, '0'), $1, ($3::text[])[1 + g % ${PIPELINES}], ($4::text[])[1 + g % ${PIPELINES}], s.status,
  case when abs(hashint4(g + 1)) % 100 < 65 then 'api' when abs(hashint4(g + 1)) % 100 < 95 then 'schedule' else 'console' end,
  case when s.status = 'pending' then null else 'build' end,
  jsonb_build_object('commit', left(md5(g::text), 7)),
  case when s.status = 'pending' then null else t.created_at + interval '2 seconds' end,
  case when s.status in ('pending', 'running') then null else t.created_at + (60 + (g::bigint * 31) % 600) * interval '1 second' end,
  case when s.status = 'running' then now() else null end,
  case when s.status in ('pending', 'running') then 2 else 5 end,
  t.created_at, t.created_at
from generate_series(1, $2::int) g
cross join lateral (select date_trunc('milliseconds', now()) - ($2::int - g) * interval '1728 milliseconds' as created_at) t
cross join lateral (select case
    when g > $2::int - 10 then 'pending' when g > $2::int - 20 then 'running'
    when abs(hashint4(g)) % 100 < 85 then 'succeeded' when abs(hashint4(g)) % 100 < 95 then 'failed'
    when abs(hashint4(g)) % 100 < 98 then 'cancelled' else 'timed_out' end as status) s`;

/** The indexes issue 16 added on the write path of runs and task runs (their cost is measured). */
const NEW_RUN_INDEXES = ['pipeline_runs_project_id_created_at_id_idx', 'pipeline_runs_project_id_status_created_at_id_idx'];
const NEW_TASK_RUN_INDEXES = [
  'task_runs_project_id_created_at_id_idx',
  'task_runs_project_id_status_created_at_id_idx',
  'task_runs_project_id_task_id_created_at_id_idx',
];

export async function benchProjectRuns(options = { runs: 1_000_000, queries: 300, writes: 300, rounds: 3 }) {
  const bench = await openBenchDatabase('bench_project_runs', 4);
  const admin = new pg.Client({ connectionString: bench.url });
  try {
    const { db } = bench.database;
    await admin.connect();
    const definition = { stages: [{ id: 'build', tasks: [{ id: 'compile', task: 'compile' }] }, { id: 'test' }] };
    const { projectId, pipelineIds } = await seedProject(
      db,
      'bench-project-runs',
      Array.from({ length: PIPELINES }, (_, i) => ({ name: `p${i}`, definition })),
    );
    await admin.query(
      `update pipelines set labels = jsonb_build_object('team', 'team' || (substr(name, 2)::int % 4)) ||
         case when substr(name, 2)::int % 40 = 0 then '{"tier":"gold"}'::jsonb else '{}'::jsonb end`,
    );
    const versions = await admin.query<{ id: string; active_version_id: string }>('select id, active_version_id from pipelines');
    const versionOf = new Map(versions.rows.map((r) => [r.id, r.active_version_id]));
    const seeded = await seed(
      admin,
      projectId,
      options.runs,
      pipelineIds,
      pipelineIds.map((id) => versionOf.get(id)!),
    );

    const day = 24 * 3600_000;
    const now = Date.now();
    const combos: [string, RunFilters][] = [
      ['no filter', {}],
      ['pipeline (by name)', { pipelines: ['p7'] }],
      ['3 pipelines', { pipelines: ['p1', 'p2', pipelineIds[3]!] }],
      ['status=failed', { statuses: ['failed'] }],
      ['status=timed_out|cancelled', { statuses: ['timed_out', 'cancelled'] }],
      ['trigger=console', { triggers: ['console'] }],
      ['label team=team1 (50 pipelines)', { labels: [{ key: 'team', value: 'team1' }] }],
      ['label tier=gold (5 pipelines)', { labels: [{ key: 'tier', value: 'gold' }] }],
      ['pipeline + status=failed', { pipelines: ['p7'], statuses: ['failed'] }],
      ['status=failed + trigger=schedule', { statuses: ['failed'], triggers: ['schedule'] }],
      ['1 h window, 3 days ago', { createdAfter: new Date(now - 3 * day - 3600_000), createdBefore: new Date(now - 3 * day) }],
      [
        'everything (2 pipelines x 2 statuses, trigger, label, window)',
        {
          pipelines: ['p1', 'p5'],
          statuses: ['failed', 'succeeded'],
          triggers: ['api'],
          labels: [{ key: 'team', value: 'team1' }],
          createdAfter: new Date(now - 10 * day),
        },
      ],
    ];

    const measure = async (query: () => Promise<unknown>, count: number) => {
      for (let i = 0; i < 10; i++) await query();
      const times: number[] = [];
      const deadline = performance.now() + 20_000;
      while (times.length < count && (times.length < 10 || performance.now() < deadline)) {
        const t = performance.now();
        await query();
        times.push(performance.now() - t);
      }
      return { queries: times.length, ...latency(times) };
    };
    const list = (filters: RunFilters, cursor?: string) => () => listProjectRuns({ db, projectId, filters, cursor, limit: PAGE });

    const rows = [];
    const plans = [];
    for (const [name, filters] of combos) {
      const first = await list(filters)();
      const cursor = first.nextCursor ?? undefined;
      const firstPage = await measure(list(filters), options.queries);
      const nextPage = cursor ? await measure(list(filters, cursor), options.queries) : undefined;
      const plan = await explainLast(db, admin, list(filters, cursor));
      plans.push({ query: name, ...plan });
      rows.push({
        filters: name,
        'first p50 ms': firstPage['p50 ms'],
        'first p99 ms': firstPage['p99 ms'],
        'next p50 ms': nextPage?.['p50 ms'] ?? '',
        'next p99 ms': nextPage?.['p99 ms'] ?? '',
        'p99 < 10 ms': Math.max(firstPage['p99 ms'], nextPage?.['p99 ms'] ?? 0) < 10 ? 'met' : 'MISSED',
        'EXPLAIN ANALYZE ms': plan.executionMs,
        'rows (max per node)': plan.maxRows,
        'no seq scan': plan.indexOnly ? 'yes' : 'NO',
      });
      progress(rows.at(-1));
    }

    const stats = [];
    for (const [window, windowMs, goal] of [
      ['24 h', day, 50],
      ['31 days', 31 * day - 60_000, 500],
    ] as const) {
      // The window moves with the clock: a fixed `since` would age past 31 days while measuring.
      const call = () => runStats({ db, projectId, since: new Date(Date.now() - windowMs) });
      const result = await measure(call, window === '24 h' ? 50 : 10);
      const totals = (await call()).total.total;
      const plan = await explainLast(db, admin, call);
      plans.push({ query: `stats ${window}`, ...plan });
      stats.push({
        window,
        runs: totals,
        ...result,
        goal: `< ${goal} ms`,
        met: result['p50 ms'] < goal ? 'met (p50)' : 'MISSED',
        'no seq scan': plan.indexOnly ? 'yes' : 'NO',
        'EXPLAIN ANALYZE ms': plan.executionMs,
      });
    }

    progress(stats);
    const writes = await writeCost(db, admin, projectId, pipelineIds[0]!, options);
    return { seed: { runs: options.runs, pipelines: PIPELINES, ...seeded }, rows, stats, writes, plans };
  } finally {
    await admin.end().catch(() => undefined);
    await bench.close();
  }
}

async function seed(admin: pg.Client, projectId: string, runs: number, pipelineIds: string[], versionIds: string[]) {
  const started = performance.now();
  await bulkLoadRuns(admin, SEED_SQL, [projectId, runs, pipelineIds, versionIds]);
  await admin.query('analyze pipelines');
  // The load ran with triggers off (replica role): the stats' rollups are built as the migration's backfill builds them.
  const rollupStarted = performance.now();
  await admin.query('select rebuild_run_rollups()');
  await admin.query('vacuum analyze run_rollups');
  const { rows } = await admin.query<{ count: string }>('select count(*) from run_rollups');
  return {
    seededSeconds: ms((performance.now() - started) / 1000),
    rollupRows: Number(rows[0]!.count),
    rollupRebuildSeconds: ms((performance.now() - rollupStarted) / 1000),
  };
}

/**
 * EXPLAIN (ANALYZE, BUFFERS) of the last statement `call` sends (the page or the stats; the first
 * of a filtered list resolves pipelines), caught at the pool Drizzle calls.
 */
async function explainLast(db: Db, admin: pg.Client, call: () => Promise<unknown>) {
  const { sql, plan } = await explainSent(db, admin, call, 'last');
  // The largest row count any node produced (per loop), and whether any node reads the table whole.
  const maxRows = Math.max(...plan.map((line) => Number(/actual time=[\d.]+\.\.[\d.]+ rows=(\d+)/.exec(line)?.[1] ?? 0)));
  const indexOnly = !plan.some((line) => /Seq Scan on pipeline_runs/.test(line));
  const executionMs = Number(/Execution Time: ([\d.]+) ms/.exec(plan.at(-1) ?? '')?.[1] ?? NaN);
  return { sql, plan, maxRows, indexOnly, executionMs };
}

/**
 * What the new indexes cost writers: the same lifecycles with them and without them (dropped,
 * then rebuilt), alternating, in the seeded table. Medians of per-lifecycle times.
 */
async function writeCost(db: Db, admin: pg.Client, projectId: string, pipelineId: string, options: { writes: number; rounds: number }) {
  const runLifecycle = async () => {
    const run = await createRun({ db, input: { projectId, pipelineId } });
    await updateRun({ db, input: { projectId, runId: run.id, patch: { status: 'running' } } });
    await updateRun({ db, input: { projectId, runId: run.id, patch: { status: 'succeeded' } } });
    return run.id;
  };
  const holder = await createRun({ db, input: { projectId, pipelineId } });
  await updateRun({ db, input: { projectId, runId: holder.id, patch: { status: 'running' } } });
  let attempt = 1;
  const taskLifecycle = async () => {
    const taskRun = await startTaskRun({
      db,
      input: { projectId, runId: holder.id, stageId: 'build', taskId: 'compile', attempt: attempt++, status: 'running' },
    });
    await updateTaskRun({ db, input: { projectId, taskRunId: taskRun.id, patch: { status: 'succeeded' } } });
  };
  const definitions = new Map<string, string>();
  const { rows } = await admin.query<{ name: string; definition: string }>(
    'select indexname as name, indexdef as definition from pg_indexes where indexname = any($1)',
    [[...NEW_RUN_INDEXES, ...NEW_TASK_RUN_INDEXES]],
  );
  for (const row of rows) definitions.set(row.name, row.definition);
  const time = async (work: () => Promise<unknown>) => {
    const times: number[] = [];
    for (let i = 0; i < options.writes; i++) {
      const t = performance.now();
      await work();
      times.push(performance.now() - t);
    }
    return median(times);
  };
  const samples: Record<string, number[]> = { 'runs with': [], 'runs without': [], 'task runs with': [], 'task runs without': [], 'runs without rollups': [] };
  const rollupTriggers = (action: 'enable' | 'disable') =>
    admin.query(`alter table pipeline_runs ${action} trigger pipeline_runs_rollup, ${action} trigger pipeline_runs_rollup_update`);
  for (let round = 0; round < options.rounds; round++) {
    // The stats' rollup triggers (everything else as in production), measured in each round too.
    await rollupTriggers('disable');
    samples['runs without rollups']!.push(await time(runLifecycle));
    await rollupTriggers('enable');
    for (const withIndexes of round % 2 ? [false, true] : [true, false]) {
      if (!withIndexes) for (const name of definitions.keys()) await admin.query(`drop index "${name}"`);
      samples[`runs ${withIndexes ? 'with' : 'without'}`]!.push(await time(runLifecycle));
      samples[`task runs ${withIndexes ? 'with' : 'without'}`]!.push(await time(taskLifecycle));
      if (!withIndexes) for (const definition of definitions.values()) await admin.query(definition);
    }
  }
  const m = (key: string) => median(samples[key]!);
  return [
    {
      writes: 'run lifecycle (create, running, succeeded: 3 statements)',
      'without new indexes ms': ms(m('runs without')),
      'with new indexes ms': ms(m('runs with')),
      ratio: Number((m('runs with') / m('runs without')).toFixed(2)),
      indexes: NEW_RUN_INDEXES.join(', '),
    },
    {
      writes: 'task-run lifecycle (start running, succeeded: 2 statements)',
      'without new indexes ms': ms(m('task runs without')),
      'with new indexes ms': ms(m('task runs with')),
      ratio: Number((m('task runs with') / m('task runs without')).toFixed(2)),
      indexes: NEW_TASK_RUN_INDEXES.join(', '),
    },
    {
      writes: 'run lifecycle (create, running, succeeded: 3 statements)',
      'without new indexes ms': ms(m('runs without rollups')),
      'with new indexes ms': ms(m('runs with')),
      ratio: Number((m('runs with') / m('runs without rollups')).toFixed(2)),
      indexes: 'the stats rollup triggers (pipeline_runs_rollup, pipeline_runs_rollup_update): without / with',
    },
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const quick = process.argv.includes('--quick');
  const result = await benchProjectRuns({ runs: quick ? 100_000 : 1_000_000, queries: quick ? 50 : 300, writes: quick ? 50 : 300, rounds: 3 });
  console.log(JSON.stringify(result.seed));
  console.table(result.rows);
  console.table(result.stats);
  console.table(result.writes);
  for (const plan of result.plans) console.log(`\n${plan.query}\n${plan.plan.join('\n')}`);
}
