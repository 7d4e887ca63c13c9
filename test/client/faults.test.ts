/**
 * The client's retry promises against `npm start` on a real network path: a response lost after
 * the server committed a POST is retried with the same Idempotency-Key and replayed (one run, not
 * two); a 503 with Retry-After is waited out; a 4xx is sent once; a list of 1,000 runs is iterated
 * with each run exactly once.
 */
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createClient } from '../../functions/client';
import { ADMIN_TOKEN } from '../support/api';
import { TEST_DATABASE_URL } from '../support/database';
import { startTcpProxy } from '../support/tcp-proxy';
import { startDroppingProxy } from './support/dropping-proxy';
import { projectClient, recordingFetch, startPipestore } from './support/pipestore-server';

const definition = { stages: [{ id: 'build', tasks: [{ id: 'compile', task: 'compile' }] }] };

describe('client retries against npm start', () => {
  let server: Awaited<ReturnType<typeof startPipestore>>;
  let proxy: Awaited<ReturnType<typeof startDroppingProxy>>;
  beforeAll(async () => {
    server = await startPipestore();
    const { hostname, port } = new URL(server.url);
    proxy = await startDroppingProxy({ host: hostname, port: Number(port) });
  }, 240_000);
  afterAll(async () => {
    await proxy?.close();
    await server?.stop();
  });

  it('a POST whose response is lost after the commit is retried and replayed: exactly one run', { timeout: 60_000 }, async () => {
    const { fetch, requests } = recordingFetch();
    const { client } = await projectClient(proxy.url, { fetch });
    const pipeline = await client.pipelines.create({ body: { name: 'lost-response', definition } });

    proxy.dropResponseTo((head) => head.startsWith(`POST /v1/pipelines/${pipeline.id}/runs `));
    const created = await client.runs.create({ id: pipeline.id, body: { input: { n: 1 } } }).withResponse();

    expect(proxy.dropped()).toBe(1);
    expect(created).toMatchObject({ status: 201, replayed: true, attempts: 2 });
    const posts = requests.filter((r) => r.method === 'POST' && r.url.endsWith('/runs'));
    expect(posts.map((r) => r.status)).toEqual(['error', 201]);
    const runs = await client.runs.list({ pipeline: pipeline.id }).toArray();
    expect(runs.map((r) => r.id)).toEqual([created.data.id]);
  });

  it('4xx answers are final: each is sent once', { timeout: 60_000 }, async () => {
    const { client } = await projectClient(proxy.url);
    const before = proxy.requestLines.length;
    const pipeline = await client.pipelines.create({ body: { name: 'four-hundreds', definition } });
    const failures = await Promise.all([
      client.pipelines.create({ body: { name: 'four-hundreds', definition } }).catch((e) => e), // 409 name taken
      client.pipelines.create({ body: { name: 'bad', definition: { stages: [{ id: 'a', dependsOn: ['zzz'] }] } } }).catch((e) => e), // 400
      client.runs.create({ id: 'pl_missing' }).catch((e) => e), // 404
      client.pipelines.update({ id: pipeline.id, ifMatch: pipeline.revision + 5, body: { description: 'stale' } }).catch((e) => e), // 412
      createClient({ baseUrl: proxy.url, apiKey: 'ps_not_a_key' })
        .pipelines.list()
        .page()
        .catch((e) => e), // 401
      createClient({ baseUrl: proxy.url, apiKey: ADMIN_TOKEN })
        .pipelines.list()
        .page()
        .catch((e) => e), // 403
    ]);
    expect(failures.map((e) => e.status)).toEqual([409, 400, 404, 412, 401, 403]);
    expect(failures.map((e) => e.attempts)).toEqual([1, 1, 1, 1, 1, 1]);
    expect(proxy.requestLines.length - before).toBe(1 + failures.length);
  });

  it('iterates 1,000 runs, each exactly once', { timeout: 300_000 }, async () => {
    const { client } = await projectClient(server.url);
    const pipeline = await client.pipelines.create({ body: { name: 'thousand', definition } });
    const created: string[] = [];
    let next = 0;
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        while (next < 1000) {
          next++;
          created.push((await client.runs.create({ id: pipeline.id })).id);
        }
      }),
    );
    expect(created).toHaveLength(1000);

    const seen: string[] = [];
    let pages = 0;
    for await (const page of client.runs.list({ pipeline: pipeline.id, limit: 200 }).pages()) {
      pages++;
      for (const run of page.items) seen.push(run.id);
    }
    expect(seen).toHaveLength(1000);
    expect(new Set(seen)).toEqual(new Set(created));
    expect(pages).toBeGreaterThanOrEqual(5);
    // The plain iteration (default page size) agrees.
    let count = 0;
    for await (const run of client.runs.list({ pipeline: pipeline.id, status: 'pending' })) count += run.status === 'pending' ? 1 : 0;
    expect(count).toBe(1000);
  });
});

// Only real PostgreSQL has a network path between the server and its database to cut.
describe.runIf(TEST_DATABASE_URL)('a 503 with Retry-After, against npm start whose database is cut', () => {
  let server: Awaited<ReturnType<typeof startPipestore>>;
  let database: Awaited<ReturnType<typeof startTcpProxy>>;
  beforeAll(async () => {
    const direct = new URL(inject('testDatabaseUrl')!);
    database = await startTcpProxy({ host: direct.hostname, port: Number(direct.port || 5432) });
    direct.hostname = '127.0.0.1';
    direct.port = String(database.port);
    server = await startPipestore({ DATABASE_URL: direct.toString() });
  }, 240_000);
  afterAll(async () => {
    await server?.stop();
    await database?.close();
  });

  it('is waited out for Retry-After, then the call succeeds', { timeout: 60_000 }, async () => {
    const { fetch, requests } = recordingFetch();
    const { client } = await projectClient(server.url, { fetch });
    const pipeline = await client.pipelines.create({ body: { name: 'outage', definition } });

    database.cut();
    const started = performance.now();
    const call = client.runs.create({ id: pipeline.id }).withResponse();
    // The database comes back long before the server's Retry-After (5 s) ends.
    setTimeout(() => database.restore(), 1_000);
    const created = await call;
    const elapsed = performance.now() - started;

    const attempts = requests.filter((r) => r.method === 'POST' && r.url.endsWith('/runs'));
    expect(attempts.map((r) => r.status)).toEqual([503, 201]);
    const waited = attempts[1]!.at - attempts[0]!.at;
    expect(waited).toBeGreaterThanOrEqual(5_000);
    expect(waited).toBeLessThan(5_000 + 3_000);
    expect(created).toMatchObject({ status: 201, attempts: 2, replayed: false });
    process.stdout.write(`503 + Retry-After: 5 -> retried after ${Math.round(waited)} ms, call took ${Math.round(elapsed)} ms\n`);
  });
});
