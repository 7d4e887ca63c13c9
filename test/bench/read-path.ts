/**
 * Read path: GET /v1/pipelines/{id} through the local server on PostgreSQL, with the memory
 * layer (defaults) and without it (CACHE_MAX_ENTRIES=0: key lookup and pipeline read from Postgres
 * on every request), against the floor (bare node:http + pg, the same two queries, the same JSON),
 * all under autocannon on loopback, bounded duration, rounds alternating between the servers.
 *
 *   npm run bench:read [-- --seconds 10 --rounds 3 --connections 20]
 */
import autocannon from 'autocannon';
import { createScratchDatabase } from '../support/scratch-database';
import { arg, median, serverUrl } from './support/args';
import { startLocalServer, startServerProcess, type RunningServer } from './support/server';

const ADMIN = 'bench-admin-token-0123456789';

export async function benchReadPath(options = { seconds: arg('seconds', 10), rounds: arg('rounds', 3), connections: arg('connections', 20) }) {
  const scratch = await createScratchDatabase(serverUrl, 'bench_read');
  const servers: RunningServer[] = [];
  try {
    const env = { DATABASE_URL: scratch.url, ADMIN_TOKEN: ADMIN };
    const cached = await startLocalServer(env);
    servers.push(cached);
    const uncached = await startLocalServer({ ...env, CACHE_MAX_ENTRIES: '0' });
    servers.push(uncached);
    const floor = await startServerProcess('test/bench/support/floor-server.ts', { DATABASE_URL: scratch.url }, '/');
    servers.push(floor);

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

    const targets = { floor, uncached, cached };
    const samples: Record<keyof typeof targets, { rps: number; p50: number; p99: number }[]> = { floor: [], uncached: [], cached: [] };
    // One short warm-up each (JIT, pools), then rounds alternating so machine noise hits all three.
    for (const server of Object.values(targets)) await load(server.url, 2);
    for (let round = 0; round < options.rounds; round++) {
      for (const [name, server] of Object.entries(targets)) samples[name as keyof typeof targets].push(await load(server.url, options.seconds));
    }
    const floorRps = median(samples.floor.map((s) => s.rps));
    return Object.entries(samples).map(([name, runs]) => ({
      server: name,
      'req/s': Math.round(median(runs.map((r) => r.rps))),
      'x floor': Number((median(runs.map((r) => r.rps)) / floorRps).toFixed(2)),
      'p50 ms': median(runs.map((r) => r.p50)),
      'p99 ms': median(runs.map((r) => r.p99)),
      rounds: runs.map((r) => Math.round(r.rps)).join(' / '),
    }));

    async function load(base: string, seconds: number) {
      const result = await autocannon({
        url: `${base}/v1/pipelines/${pipeline.id}`,
        headers: { Authorization: `Bearer ${key}` },
        connections: options.connections,
        duration: seconds,
      });
      if (result.non2xx || result.errors) throw new Error(`${base}: ${result.non2xx} non-2xx, ${result.errors} errors`);
      return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99 };
    }
  } finally {
    for (const server of servers) await server.stop();
    await scratch.drop();
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const rows = await benchReadPath();
  console.log(`GET /v1/pipelines/{id} on PostgreSQL ${new URL(serverUrl).host}, autocannon on loopback`);
  console.table(rows);
}
