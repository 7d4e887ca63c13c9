/**
 * Scale: listing runs of a project with 1,000,000 runs on PostgreSQL.
 *
 * Seeding: 20 pipelines made through the core, then the runs in one `insert … select … from
 * generate_series` (80 % in pipeline 0, the rest spread over the other 19; created_at one every
 * 7 s up to now, so ~80 days; mostly succeeded, some failed/cancelled/timed_out, the newest ones
 * still running or pending), loaded like a restore (see seedRuns), then VACUUM ANALYZE.
 *
 * Measured through the core's listRuns over node-postgres (what GET /v1/pipelines/{id}/runs runs,
 * without the memory layer, which never caches lists): the newest 50, the next page by cursor,
 * the same with ?status=failed, and keyset pages deep in the list (goal: p99 < 5 ms). Beside them
 * listRuns' statement as plain SQL, paged by the keyset and by OFFSET, which has to walk (and fetch
 * from the heap) every row it skips. Then EXPLAIN (ANALYZE, BUFFERS) of the exact statements
 * listRuns sent, to see whether the (pipeline_id[, status], created_at, id) indexes give the order.
 *
 *   npm run bench:scale [-- --runs 1000000 --queries 500 --json]
 */
import { type SQL, sql } from 'drizzle-orm';
import pg from 'pg';
import { encodeCursor } from '../../functions/core/pagination';
import { listRuns } from '../../functions/core/runs';
import { arg, serverUrl } from './support/args';
import { bulkLoadRuns, explainSent, latency, openBenchDatabase, seedProject } from './support/seed';

const PAGE = 50;
const PIPELINES = 20;

// Ids look like TypeIDs (26 base32 characters, first one 0-7) and sort like created_at, as the
// real UUIDv7 bodies do. Status by a cheap hash of g; the newest 20 runs are still live.
const SEED_SQL = `
insert into pipeline_runs (id, project_id, pipeline_id, version_id, status, current_stage, stage_results, input,
  started_at, completed_at, heartbeat_at, revision, created_at, updated_at)
select 'run_' || lpad(to_hex(g), 26, '0'), $1, p.pipeline_id, p.version_id, s.status,
  case when s.status = 'pending' then null else 'test' end,
  case when s.status = 'pending' then '{}'::jsonb else jsonb_build_object('build', jsonb_build_object('ok', true, 'ms', g % 5000)) end,
  jsonb_build_object('commit', left(md5(g::text), 7), 'branch', 'main'),
  case when s.status = 'pending' then null else t.created_at + interval '2 seconds' end,
  case when s.status in ('pending', 'running') then null else t.created_at + (60 + g % 600) * interval '1 second' end,
  case when s.status = 'running' then now() else null end,
  case when s.status in ('pending', 'running') then 2 else 5 end,
  t.created_at, t.created_at
from generate_series(1, $2::int) g
cross join lateral (select date_trunc('milliseconds', now()) - ($2::int - g) * interval '7 seconds' as created_at) t
cross join lateral (select case
    when g > $2::int - 10 then 'pending' when g > $2::int - 20 then 'running'
    when (g::bigint * 7919) % 100 < 85 then 'succeeded' when (g::bigint * 7919) % 100 < 95 then 'failed'
    when (g::bigint * 7919) % 100 < 98 then 'cancelled' else 'timed_out' end as status) s
cross join lateral (select ($3::text[])[i] as pipeline_id, ($4::text[])[i] as version_id
  from (select case when g % 5 <> 0 then 1 else 2 + g % ${PIPELINES - 1} end as i) k) p`;

export async function benchScale(options = { runs: arg('runs', 1_000_000), queries: arg('queries', 500) }) {
  const bench = await openBenchDatabase('bench_scale', 10);
  const admin = new pg.Client({ connectionString: bench.url });
  try {
    const { db } = bench.database;
    await admin.connect();
    const pipelines = Array.from({ length: PIPELINES }, (_, i) => ({ name: `p${i}`, definition: { stages: [{ id: 'build' }, { id: 'test' }] } }));
    const { projectId, pipelineIds } = await seedProject(db, 'bench-scale', pipelines);
    const versions = await admin.query<{ active_version_id: string; id: string }>('select id, active_version_id from pipelines');
    const versionOf = new Map(versions.rows.map((r) => [r.id, r.active_version_id]));

    const seeded = await seedRuns(
      admin,
      projectId,
      options.runs,
      pipelineIds,
      pipelineIds.map((id) => versionOf.get(id)!),
    );
    const big = pipelineIds[0]!;
    const small = pipelineIds[1]!;
    const count = async (pipelineId: string) =>
      Number((await admin.query('select count(*) from pipeline_runs where pipeline_id = $1', [pipelineId])).rows[0].count);
    const sizes = { big: await count(big), small: await count(small) };

    // The keyset position of the row just before page `page` (1-based), as a client would hold it.
    const positionAt = async (pipelineId: string, page: number, status?: string) => {
      const { rows } = await admin.query<{ id: string; created_at: Date }>(
        `select id, created_at from pipeline_runs where pipeline_id = $1 and ($2::text is null or status = $2)
         order by created_at desc, id desc offset $3 limit 1`,
        [pipelineId, status ?? null, (page - 1) * PAGE - 1],
      );
      return { createdAt: rows[0]!.created_at, id: rows[0]!.id };
    };
    const cursorAt = async (pipelineId: string, page: number, status?: string) => encodeCursor('runs', await positionAt(pipelineId, page, status));
    const list = (pipelineId: string, cursor?: string, status?: 'failed') => () =>
      listRuns({ db, input: { projectId, pipelineId, limit: PAGE, cursor, status } });
    // listRuns' statement sent as plain SQL (no query building, no row mapping), paged by the
    // keyset or by OFFSET: the fair pair for showing what OFFSET costs.
    const rawPage = (pipelineId: string, paging: SQL) => () =>
      db.execute(sql`select *, (select v.number from pipeline_versions v where v.id = pipeline_runs.version_id) as version
        from pipeline_runs where pipeline_id = ${pipelineId} and project_id = ${projectId} ${paging}`);
    const ORDER = sql`order by created_at desc, id desc limit ${PAGE + 1}`;
    const offsetPage = (pipelineId: string, page: number) => rawPage(pipelineId, sql`${ORDER} offset ${(page - 1) * PAGE}`);
    const keysetPage = async (pipelineId: string, page: number) => {
      if (page === 1) return rawPage(pipelineId, ORDER);
      const { createdAt, id } = await positionAt(pipelineId, page);
      return rawPage(pipelineId, sql`and (created_at, id) < (${createdAt.toISOString()}::timestamptz, ${id}) ${ORDER}`);
    };

    // Up to `queries` calls after a warm-up, both cut short by time when each call is slow (deep
    // OFFSET pages), so the whole run stays within a few minutes.
    const measure = async (query: () => Promise<unknown>, budgetSeconds: number) => {
      const warm = performance.now() + 1000;
      for (let i = 0; i < 20 && performance.now() < warm; i++) await query();
      const times: number[] = [];
      const deadline = performance.now() + budgetSeconds * 1000;
      while (times.length < options.queries && (times.length < 5 || performance.now() < deadline)) {
        const t = performance.now();
        await query();
        times.push(performance.now() - t);
      }
      return { queries: times.length, ...latency(times) };
    };
    const page2 = await cursorAt(big, 2);
    // Deep pages that exist at this size (--runs smaller than the default has fewer).
    const deep = [100, 1000, 10000].filter((page) => page * PAGE <= sizes.big);
    // [paging, label, page number (for the OFFSET/keyset comparison), query]
    const cases: [string, string, number, () => Promise<unknown>][] = [
      ['listRuns', `newest ${PAGE} (pipeline with ${sizes.big} runs)`, 0, list(big)],
      ['listRuns', 'next page by cursor', 0, list(big, page2)],
      ['listRuns', '?status=failed, newest', 0, list(big, undefined, 'failed')],
      ['listRuns', '?status=failed, next page', 0, list(big, await cursorAt(big, 2, 'failed'), 'failed')],
      ['listRuns', `newest ${PAGE} (pipeline with ${sizes.small} runs)`, 0, list(small)],
    ];
    for (const page of deep) cases.push(['listRuns', `page ${page} by cursor`, 0, list(big, await cursorAt(big, page))]);
    for (const page of [1, 2, ...deep]) cases.push(['keyset SQL', `page ${page}`, page, await keysetPage(big, page)]);
    for (const page of [1, 2, ...deep]) cases.push(['OFFSET SQL', `page ${page}`, page, offsetPage(big, page)]);
    const rows = [];
    const keysetP50 = new Map<number, number>();
    for (const [paging, what, page, query] of cases) {
      const result = await measure(query, paging === 'OFFSET SQL' ? 3 : 5);
      if (paging === 'keyset SQL') keysetP50.set(page, result['p50 ms']);
      rows.push({
        paging,
        query: what,
        ...result,
        'p99 < 5 ms': paging === 'listRuns' ? (result['p99 ms'] < 5 ? 'met' : 'MISSED') : '',
        // How many times slower OFFSET is than the keyset for the same page, same statement otherwise.
        'x keyset p50': paging === 'OFFSET SQL' ? Number((result['p50 ms'] / keysetP50.get(page)!).toFixed(1)) : '',
      });
    }

    const plans = [
      { query: 'next page by cursor', index: 'pipeline_runs_pipeline_id_created_at_id_idx', ...(await explainSent(db, admin, list(big, page2), 'first')) },
      {
        query: '?status=failed, newest',
        index: 'pipeline_runs_pipeline_id_status_created_at_id_idx',
        ...(await explainSent(db, admin, list(big, undefined, 'failed'), 'first')),
      },
    ];
    return { seed: { runs: options.runs, ...seeded, ...sizes }, rows, plans };
  } finally {
    await admin.end().catch(() => undefined);
    await bench.close();
  }
}

/** The runs of SEED_SQL, bulk loaded (see bulkLoadRuns). */
export const seedRuns = (admin: pg.Client, projectId: string, runs: number, pipelineIds: string[], versionIds: string[]) =>
  bulkLoadRuns(admin, SEED_SQL, [projectId, runs, pipelineIds, versionIds]);

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await benchScale();
  if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
  else {
    const { seed } = result;
    console.log(`Scale: ${seed.runs} runs in one project (${seed.big} in the listed pipeline), PostgreSQL ${new URL(serverUrl).host}`);
    console.log(`seeded in ${seed.totalSeconds} s (insert ${seed.insertSeconds} s, indexes rebuilt at ${seed.indexedSeconds} s, then VACUUM ANALYZE)`);
    console.table(result.rows);
    for (const plan of result.plans) {
      // A plan that walks the index in order reads ~51 rows; one that cannot sorts the pipeline.
      const used = plan.plan.some((line) => line.includes(`Index Scan using ${plan.index}`) || line.includes(`Index Scan Backward using ${plan.index}`));
      console.log(`\nEXPLAIN (ANALYZE, BUFFERS) listRuns ${plan.query}: ${plan.index} ${used ? 'provides the order' : 'does NOT provide the order'}`);
      console.log(plan.plan.slice(0, 10).join('\n'));
    }
    console.log(`\nSQL sent by listRuns (${result.plans[0]!.query}):\n${result.plans[0]!.sql}`);
  }
}
