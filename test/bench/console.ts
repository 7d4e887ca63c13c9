/**
 * Console: server render time, database round trips and page weight, on PostgreSQL with a project
 * of --runs runs (default 1,000,000, seeded as bench:scale seeds them: 80 % in pipeline p0; p0 has
 * a schedule in Europe/Berlin and its runs of the last day are its scheduled runs; the stats
 * rollups are rebuilt after the load, which ran with triggers off).
 *
 * Each page is requested in process through the app factory's app (what `npm start` serves, minus
 * the socket), signed in with a console session, warm (after 20 requests), --requests times, and
 * all of it --repeats times (default 3) over the same data; the table gives the medians of the
 * repeats' p50 and p95, each repeat's p95 and the load average when it started:
 * - the pipeline page of p0 (metadata, schedule, graph laid out by dagre, versions, newest 50 runs);
 * - the 50-run list of p0 (/console/runs?pipeline=p0);
 * - the pipelines list (20 pipelines with their last 20 runs each) and a run page.
 * Baseline, same process, same data: the API's JSON list of the same 50 runs
 * (GET /v1/pipelines/{id}/runs?limit=50). Goal: p95 < 30 ms.
 * Round trips are counted at the driver (Database.roundTrips) per warm request. Bytes: the HTML,
 * plus the two assets on a first visit; a repeat visit fetches only the HTML (the assets are
 * immutable for a year); gzip sizes beside.
 *
 * With --profile, each page's statements afterwards: client-side time, EXPLAIN (ANALYZE) execution
 * time and plan, and the time the request spends after its last answer (rendering).
 *
 *   npm run bench:console [-- --runs 1000000 --requests 200 --repeats 3 --profile --json]
 */
import { loadavg } from 'node:os';
import { gzipSync } from 'node:zlib';
import pg from 'pg';
import { loadConfig } from '../../functions/config';
import { createApp } from '../../functions/api/app';
import { ASSETS } from '../../functions/console/assets';
import { createApiKey } from '../../functions/core/projects';
import { ConsoleClient } from '../console/support';
import { seedRuns } from './scale';
import { arg, median, percentile, serverUrl } from './support/args';
import { profileRequests, type RequestProfile } from './support/profile';
import { gridDefinition, ms, openBenchDatabase, seedProject } from './support/seed';

const ADMIN = 'bench-console-admin-token-0123456789';

export async function benchConsole(options = { runs: arg('runs', 1_000_000), requests: arg('requests', 200), repeats: arg('repeats', 3) }) {
  const bench = await openBenchDatabase('bench_console', 10);
  const admin = new pg.Client({ connectionString: bench.url });
  try {
    const { db } = bench.database;
    await admin.connect();
    const pipelines = Array.from({ length: 20 }, (_, i) => ({ name: `p${i}`, definition: gridDefinition(5, 3) }));
    const { projectId, pipelineIds } = await seedProject(db, 'bench-console', pipelines);
    const versions = await admin.query<{ active_version_id: string; id: string }>('select id, active_version_id from pipelines');
    const versionOf = new Map(versions.rows.map((r) => [r.id, r.active_version_id]));
    const seed = await seedRuns(
      admin,
      projectId,
      options.runs,
      pipelineIds,
      pipelineIds.map((id) => versionOf.get(id)!),
    );
    const extraStarted = performance.now();
    // p0 is scheduled, and its runs of the last day are what its schedule created (so the page's
    // schedule read finds a latest slot among 800,000 runs). Triggers off, as for the load.
    await admin.query(`update pipelines set schedule = '*/5 * * * *', timezone = 'Europe/Berlin' where id = $1`, [pipelineIds[0]]);
    await admin.query(`set session_replication_role = replica`);
    await admin.query(
      `update pipeline_runs set trigger = 'schedule', scheduled_for = created_at, missed_slots = 0 where pipeline_id = $1 and created_at > now() - interval '1 day'`,
      [pipelineIds[0]],
    );
    await admin.query(`set session_replication_role = default`);
    await admin.query('select rebuild_run_rollups()');
    await admin.query('vacuum analyze pipeline_runs, run_rollups, pipelines');
    const seconds = { seed: seed.totalSeconds, rollupsAndSchedule: ms((performance.now() - extraStarted) / 1000) };
    const { key } = await createApiKey({ db, input: { projectId } });
    const app = createApp({ database: bench.database, config: loadConfig({ ADMIN_TOKEN: ADMIN, LOG_LEVEL: 'silent' }) });
    const browser = new ConsoleClient({ app } as never);
    const signIn = await browser.signIn(key);
    if (signIn.status !== 303) throw new Error(`sign-in failed: ${signIn.status}`);
    const { rows: runRows } = await admin.query<{ id: string }>(
      'select id from pipeline_runs where pipeline_id = $1 order by created_at desc limit 1 offset 30',
      [pipelineIds[0]],
    );

    const pages: [string, string][] = [
      ['pipeline page (p0)', '/console/pipelines/p0'],
      ['50-run list (p0)', '/console/runs?pipeline=p0'],
      ['pipelines list', '/console'],
      ['run page', `/console/runs/${runRows[0]!.id}`],
    ];
    const apiList = async () => {
      const res = await app.request(`http://127.0.0.1/v1/pipelines/${pipelineIds[0]}/runs?limit=50`, { headers: { Authorization: `Bearer ${key}` } });
      if (res.status !== 200) throw new Error(`API list: ${res.status}`);
      return res.text();
    };
    const measure = async (request: () => Promise<unknown>) => {
      for (let i = 0; i < 20; i++) await request();
      const times: number[] = [];
      const before = bench.database.roundTrips;
      for (let i = 0; i < options.requests; i++) {
        const t = performance.now();
        await request();
        times.push(performance.now() - t);
      }
      return { times, roundTrips: (bench.database.roundTrips - before) / options.requests };
    };
    const assetBytes = Buffer.byteLength(ASSETS.styles.body) + Buffer.byteLength(ASSETS.script.body);
    const assetGzip = gzipSync(ASSETS.styles.body).length + gzipSync(ASSETS.script.body).length;

    const labels = ['baseline: API JSON, same 50 runs', ...pages.map(([label]) => label)];
    const samples = new Map(labels.map((label) => [label, { p50: [] as number[], p95: [] as number[], roundTrips: [] as number[] }]));
    const loads: number[] = [];
    const record = (label: string, { times, roundTrips }: { times: number[]; roundTrips: number }) => {
      const sample = samples.get(label)!;
      sample.p50.push(median(times));
      sample.p95.push(percentile(times, 0.95));
      sample.roundTrips.push(roundTrips);
    };
    for (let repeat = 0; repeat < options.repeats; repeat++) {
      loads.push(Number(loadavg()[0]!.toFixed(2)));
      record(labels[0]!, await measure(apiList));
      for (const [label, path] of pages) record(label, await measure(() => browser.get(path)));
    }
    const baselineP50 = median(samples.get(labels[0]!)!.p50);
    const summary = (label: string) => {
      const sample = samples.get(label)!;
      return {
        'p50 ms': ms(median(sample.p50)),
        'p95 ms': ms(median(sample.p95)),
        'p95 each repeat': sample.p95.map((x) => x.toFixed(1)).join(' / '),
        'x baseline p50': Number((median(sample.p50) / baselineP50).toFixed(2)),
        'round trips': median(sample.roundTrips),
      };
    };
    const rows: Record<string, string | number>[] = [
      {
        page: labels[0]!,
        ...summary(labels[0]!),
        'first visit bytes': Buffer.byteLength(await apiList()),
        'repeat visit bytes': '',
        'first visit gzip': '',
        'p95 < 30 ms': '',
      },
    ];
    for (const [label, path] of pages) {
      const page = await browser.get(path);
      if (page.status !== 200) throw new Error(`${path}: ${page.status}`);
      const html = Buffer.byteLength(page.html);
      const row = summary(label);
      rows.push({
        page: label,
        ...row,
        'first visit bytes': html + assetBytes,
        'repeat visit bytes': html,
        'first visit gzip': gzipSync(page.html).length + assetGzip,
        'p95 < 30 ms': label.startsWith('pipeline page') || label.startsWith('50-run') ? (row['p95 ms'] < 30 ? 'met' : 'MISSED') : '',
      });
    }
    const profiles: Record<string, RequestProfile> = {};
    if (process.argv.includes('--profile')) {
      for (const [label, path] of pages) profiles[label] = await profileRequests(db, admin, () => browser.get(path));
    }
    return {
      seed: { runs: options.runs, seconds },
      profiles,
      requests: options.requests,
      repeats: options.repeats,
      loads,
      assets: { bytes: assetBytes, gzip: assetGzip },
      rows,
    };
  } finally {
    await admin.end().catch(() => undefined);
    await bench.close();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const result = await benchConsole();
  if (process.argv.includes('--json')) console.log(JSON.stringify(result, null, 2));
  else {
    const { seconds } = result.seed;
    console.log(
      `Console: ${result.seed.runs} runs in one project (seeded in ${seconds.seed} s, rollups rebuilt and p0's schedule set in ${seconds.rollupsAndSchedule} s), PostgreSQL ${new URL(serverUrl).host}, ${result.requests} warm requests per page in process, ${result.repeats} repeats (1-min load average at each: ${result.loads.join(', ')})`,
    );
    console.log(`assets (CSS + JS): ${result.assets.bytes} bytes, ${result.assets.gzip} gzipped, cached for a year by content-hashed name`);
    console.table(result.rows);
    for (const [label, profile] of Object.entries(result.profiles)) {
      console.log(
        `\n${label}: median ${ms(profile.totalMs)} ms, last answer at ${ms(profile.untilLastAnswerMs)} ms, then ${ms(profile.afterLastAnswerMs)} ms in Node (rendering)`,
      );
      console.table(profile.statements.map(({ plan: _, ...s }) => s));
      for (const s of profile.statements) console.log(`\n${s.sql}\n  ${s.plan.slice(0, 12).join('\n  ')}`);
    }
  }
}
