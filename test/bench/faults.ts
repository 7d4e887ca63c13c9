/**
 * `npm run bench:faults`: a normal client's latency and the server's memory while other clients
 * flood it with 1 MiB bodies carrying Idempotency-Keys (issue 13, fault 5), on PostgreSQL
 * (TEST_DATABASE_URL or BENCH_DATABASE_URL, a scratch database) over loopback. Bounded: FLOOD_SECONDS
 * (default 10) with FLOOD_CLIENTS (default 8) concurrent flooders. Reports the normal client's
 * median and p99 against a baseline without the flood measured in the same process, the flood's
 * statuses, and the peak RSS.
 */
import { loadConfig } from '../../functions/config';
import { createDatabase } from '../../db/client';
import { migrateDatabase } from '../../db/migrate';
import { startServer } from '../fuzz/server';
import { createScratchDatabase } from '../support/scratch-database';

const serverUrl = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const FLOOD_SECONDS = Number(process.env.FLOOD_SECONDS ?? 10);
const FLOOD_CLIENTS = Number(process.env.FLOOD_CLIENTS ?? 8);
const ADMIN_TOKEN = 'bench-faults-admin-token';

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
};

const scratch = await createScratchDatabase(serverUrl, 'bench_faults');
const config = loadConfig({ DATABASE_URL: scratch.url, ADMIN_TOKEN, LOG_LEVEL: 'silent' }, 'server');
const database = await createDatabase(config.database);
try {
  await migrateDatabase(database);
  const server = await startServer(database, { DATABASE_URL: scratch.url, ADMIN_TOKEN });
  const api = (path: string, init: RequestInit & { token?: string } = {}) =>
    fetch(`${server.baseUrl}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${init.token ?? ADMIN_TOKEN}`, 'content-type': 'application/json', ...(init.headers as Record<string, string>) },
    });
  const project = await (await api('/v1/projects', { method: 'POST', body: JSON.stringify({ name: 'bench' }) })).json();
  const { key } = await (await api(`/v1/projects/${project.id}/keys`, { method: 'POST', body: '{}' })).json();
  const pipeline = await (
    await api('/v1/pipelines', { method: 'POST', token: key, body: JSON.stringify({ name: 'bench', definition: { stages: [{ id: 'a' }] } }) })
  ).json();

  // A normal client: run creation then a read of the run, one after the other.
  const normalClient = async (seconds: number) => {
    const latencies: number[] = [];
    const until = performance.now() + seconds * 1_000;
    while (performance.now() < until) {
      const started = performance.now();
      const run = await api(`/v1/pipelines/${pipeline.id}/runs`, { method: 'POST', token: key, body: '{}' });
      const body = await run.json();
      if (run.status === 201) await (await api(`/v1/runs/${body.id}`, { token: key })).arrayBuffer();
      latencies.push(performance.now() - started);
    }
    return latencies;
  };

  const baseline = await normalClient(Math.min(5, FLOOD_SECONDS));

  // Just under the 1 MiB body limit: a JSON body with a huge, deeply keyed input.
  const input: Record<string, string> = {};
  for (let i = 0; i < 900; i++) input[`k${i.toString().padStart(4, '0')}`] = 'x'.repeat(1_100);
  const big = JSON.stringify({ input });
  const statuses = new Map<number, number>();
  let peakRss = process.memoryUsage().rss;
  let flooding = true;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage().rss)), 50);
  let sent = 0;
  const flooders = Array.from({ length: FLOOD_CLIENTS }, async (_, c) => {
    while (flooding) {
      const res = await api(`/v1/pipelines/${pipeline.id}/runs`, {
        method: 'POST',
        token: key,
        headers: process.env.FLOOD_KEY === '0' ? {} : { 'idempotency-key': `flood-${c}-${sent++}` },
        body: big,
      }).catch(() => undefined);
      if (res) {
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        await res.arrayBuffer();
      }
    }
  });
  const during = await normalClient(FLOOD_SECONDS);
  flooding = false;
  await Promise.all(flooders);
  clearInterval(sampler);

  const median = (v: number[]) => quantile(v, 0.5);
  console.log(
    `body ${(big.length / 1024).toFixed(0)} KiB, ${FLOOD_CLIENTS} flooders for ${FLOOD_SECONDS} s, pool ${(config.database as { poolMax: number }).poolMax}`,
  );
  console.log(
    `normal client without flood: median ${median(baseline).toFixed(1)} ms, p99 ${quantile(baseline, 0.99).toFixed(1)} ms (${baseline.length} requests)`,
  );
  console.log(
    `normal client during flood:  median ${median(during).toFixed(1)} ms, p99 ${quantile(during, 0.99).toFixed(1)} ms (${during.length} requests); ratio ${(median(during) / median(baseline)).toFixed(2)}x`,
  );
  console.log(`flood statuses: ${JSON.stringify(Object.fromEntries(statuses))}`);
  console.log(`peak RSS ${(peakRss / 1024 / 1024).toFixed(0)} MiB (server and clients share this process)`);
  await server.close();
} finally {
  await database.close();
  await scratch.drop();
}
