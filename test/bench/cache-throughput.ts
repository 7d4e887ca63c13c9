/**
 * Throughput of GET /v1/pipelines/{id} through the local server on real PostgreSQL, with the
 * memory layer (defaults) and without it (CACHE_TTL_MS=0: the key lookup and the pipeline are
 * read from Postgres on every request). autocannon on loopback, bounded duration, rounds
 * alternating between the two servers; medians reported.
 *
 *   npm run bench:cache [-- --seconds 10 --rounds 3 --connections 20]
 */
import autocannon from 'autocannon';
import { createScratchDatabase } from '../support/scratch-database';
import { startLocalServer } from './support/server';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const seconds = arg('seconds', 10);
const rounds = arg('rounds', 3);
const connections = arg('connections', 20);
const serverUrl = process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ADMIN = 'bench-admin-token-0123456789';
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

const scratch = await createScratchDatabase(serverUrl, 'bench_cache');
const servers: { stop(): Promise<void> }[] = [];
try {
  const env = { DATABASE_URL: scratch.url, ADMIN_TOKEN: ADMIN };
  const cached = await startLocalServer(env);
  servers.push(cached);
  const uncached = await startLocalServer({ ...env, CACHE_TTL_MS: '0' });
  servers.push(uncached);

  const post = async (path: string, token: string, body: unknown) => {
    const res = await fetch(`${cached.url}${path}`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${path}: ${res.status} ${await res.text()}`);
    return res.json() as Promise<any>;
  };
  const project = await post('/v1/projects', ADMIN, { name: 'bench' });
  const { key } = await post(`/v1/projects/${project.id}/keys`, ADMIN, {});
  const pipeline = await post('/v1/pipelines', key, { name: 'bench', definition: { stages: [{ id: 'a' }] } });

  const load = async (base: string) => {
    const result = await autocannon({
      url: `${base}/v1/pipelines/${pipeline.id}`,
      headers: { Authorization: `Bearer ${key}` },
      connections,
      duration: seconds,
    });
    if (result.non2xx || result.errors) throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors`);
    return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
  };

  const results = { cached: [] as Awaited<ReturnType<typeof load>>[], uncached: [] as Awaited<ReturnType<typeof load>>[] };
  for (let round = 0; round < rounds; round++) {
    // Alternate so that a noisy stretch of the machine hits both sides.
    results.uncached.push(await load(uncached.url));
    results.cached.push(await load(cached.url));
  }
  const summary = (name: keyof typeof results) => ({
    server: name,
    'req/s (median)': Math.round(median(results[name].map((r) => r.rps))),
    'p50 ms': median(results[name].map((r) => r.p50)),
    'p99 ms': median(results[name].map((r) => r.p99)),
    rounds: results[name].map((r) => Math.round(r.rps)).join(' / '),
  });
  console.log(`GET /v1/pipelines/{id}, ${connections} connections x ${seconds} s x ${rounds} rounds, node-postgres on ${new URL(serverUrl).host}`);
  console.table([summary('uncached'), summary('cached')]);
  const ratio = median(results.cached.map((r) => r.rps)) / median(results.uncached.map((r) => r.rps));
  console.log(`cached / uncached throughput: ${ratio.toFixed(2)}x`);
} finally {
  for (const server of servers) await server.stop();
  await scratch.drop();
}
