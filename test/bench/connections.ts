/**
 * The connection budget (issue 21): N concurrent API containers against one small PostgreSQL.
 * A throwaway cluster (test/support/local-postgres.ts) with max_connections 20, of which an
 * ordinary role (pipestore's `app`) may use 17 (3 are reserved for superusers). Each container is
 * a separate module instance of the built API bundle (its entry imported under its own URL, so
 * its module-scope database and app are its own; the library chunks are shared code), configured
 * as on Lambda: node-postgres with a pool of one connection released after 5 idle seconds, or the
 * Data API. As on Lambda, a container serves one request at a time: each is driven by a closed
 * loop of API Gateway events, 70 % `GET /v1/pipelines?limit=5` (lists always read Postgres), 30 %
 * `POST /v1/pipelines/{id}/runs`; a 503 is retried after its Retry-After, as the pipestore client
 * does.
 *
 * Reported per setup and N: answers per second (2xx), the share of 503 answers and their codes,
 * p50/p99 latency of all answers, any other non-2xx, and the cluster connections of the `app`
 * role at the peak and 10 s after the load stopped (exit-on-idle must bring node-postgres back
 * down). The Data API setup goes through the local endpoint (test/support/data-api/), whose own
 * pool of 10 connections on the cluster stands for the service's.
 *
 *   npm run bench:connections [-- --instances 10,50,100,200 --seconds 8]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import pg from 'pg';
import { createDatabase } from '../../db/client';
import { loadConfig } from '../../functions/config';
import { migrateDatabase } from '../../db/migrate';
import { createApp } from '../../functions/api/app';
import { bundleEntry } from '../../infra/build';
import { lambdaFunction } from '../../infra/bundling';
import { apiGatewayV2Event } from '../handlers/support/events';
import { pgBackend, startDataApiServer } from '../support/data-api/server';
import { startLocalPostgres } from '../support/local-postgres';
import { percentile } from './support/args';
import { loadAverage } from './support/report';

const ADMIN_TOKEN = 'connection-budget-bench-admin-token';
const MAX_CONNECTIONS = 20;
/** The local Data API endpoint's pool on the cluster: what the service holds, not the functions. */
const DATA_API_POOL = 10;
const AFTER_MS = 10_000;

type Handler = (event: unknown, context: unknown) => Promise<{ statusCode: number; headers?: Record<string, string>; body?: string }>;
export type Setup = 'node-postgres' | 'Data API';

interface Answer {
  ms: number;
  status: number;
  code?: string;
}

const lambdaContext = (id: string) => ({
  awsRequestId: id,
  functionName: 'pipestore-api',
  getRemainingTimeInMillis: () => 29_000,
  callbackWaitsForEmptyEventLoop: true,
});

export async function benchConnections(options: { instances: number[]; seconds: number; setups?: Setup[] }) {
  const setups = options.setups ?? ['node-postgres', 'Data API'];
  const workDir = mkdtempSync(join(tmpdir(), 'pipestore-bench-connections-'));
  const server = await startLocalPostgres({ maxConnections: MAX_CONNECTIONS });
  const superuser = (database: string) => `postgres://postgres:${server.password}@127.0.0.1:${server.port}/${database}`;
  const appUrl = `postgres://app:app-bench-pw@127.0.0.1:${server.port}/pipestore`;
  const monitor = new pg.Client({ connectionString: superuser('postgres') });
  const savedEnv = { ...process.env };
  let dataApi: Awaited<ReturnType<typeof startDataApiServer>> | undefined;
  try {
    await monitor.connect();
    await monitor.query(`create role app login password 'app-bench-pw'`);
    await monitor.query('create database pipestore owner app');
    const connections = async () =>
      Number((await monitor.query(`select count(*)::int as n from pg_stat_activity where usename = 'app' and backend_type = 'client backend'`)).rows[0].n);

    // Schema, a project, its key and a pipeline, through a setup process that then goes away.
    const setup = await createDatabase({ driver: 'pg', connectionString: appUrl, poolMax: 1, allowExitOnIdle: true, idleTimeoutMillis: 100 });
    await migrateDatabase(setup);
    const app = createApp({ database: setup, config: loadConfig({ ADMIN_TOKEN, LOG_LEVEL: 'silent' }) });
    const post = async (path: string, token: string, body: unknown) =>
      (
        await app.request(path, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
          body: JSON.stringify(body),
        })
      ).json();
    const project = await post('/v1/projects', ADMIN_TOKEN, { name: 'budget' });
    const { key } = await post(`/v1/projects/${project.id}/keys`, ADMIN_TOKEN, {});
    const pipeline = await post('/v1/pipelines', key, { name: 'budget', definition: { stages: [{ id: 's', tasks: [{ id: 't', task: 't' }] }] } });
    await setup.close();

    dataApi = await startDataApiServer(pgBackend(appUrl, DATA_API_POOL));
    const bundle = await bundleEntry(lambdaFunction('api').entry, workDir, 'api');
    const environments: Record<Setup, Record<string, string>> = {
      'node-postgres': { DATABASE_URL: appUrl },
      'Data API': {
        DB_CLUSTER_ARN: dataApi.resourceArn,
        DB_SECRET_ARN: dataApi.secretArn,
        DB_NAME: dataApi.database,
        AWS_ENDPOINT_URL_RDS_DATA: dataApi.endpoint,
      },
    };
    const auth = { authorization: `Bearer ${key}` };
    const read = () => apiGatewayV2Event({ method: 'GET', path: '/v1/pipelines?limit=5', headers: auth });
    const write = () =>
      apiGatewayV2Event({ method: 'POST', path: `/v1/pipelines/${pipeline.id}/runs`, headers: { ...auth, 'content-type': 'application/json' }, body: '{}' });

    const rows: Record<string, unknown>[] = [];
    for (const setupName of setups) {
      for (const n of options.instances) {
        // What Lambda sets, then the setup's database; each entry import reads them at its init.
        for (const name of ['DATABASE_URL', 'DB_CLUSTER_ARN', 'DB_SECRET_ARN', 'DB_NAME', 'AWS_ENDPOINT_URL_RDS_DATA']) delete process.env[name];
        Object.assign(process.env, {
          AWS_LAMBDA_FUNCTION_NAME: 'pipestore-api',
          AWS_REGION: 'us-east-1',
          AWS_ACCESS_KEY_ID: 'AKIALOCALBENCH',
          AWS_SECRET_ACCESS_KEY: 'local-bench-secret',
          ADMIN_TOKEN,
          LOG_LEVEL: process.env.BENCH_LOG_LEVEL ?? 'silent',
          ...environments[setupName],
        });

        let peak = 0;
        let sampling = true;
        const sampler = (async () => {
          while (sampling) {
            peak = Math.max(peak, await connections());
            await new Promise((r) => setTimeout(r, 50));
          }
        })();

        const handlers: Handler[] = [];
        for (let i = 0; i < n; i++) {
          const url = `${pathToFileURL(bundle.file).href}?container=${encodeURIComponent(setupName)}-${n}-${i}`;
          handlers.push(((await import(url)) as { handler: Handler }).handler);
        }

        const answers: Answer[] = [];
        const started = performance.now();
        const end = started + options.seconds * 1000;
        await Promise.all(
          handlers.map(async (handler, i) => {
            for (let request = 0; performance.now() < end; request++) {
              const t0 = performance.now();
              const res = await handler(request % 10 < 7 ? read() : write(), lambdaContext(`${i}-${request}`));
              const answer: Answer = { ms: performance.now() - t0, status: res.statusCode };
              if (res.statusCode >= 300) answer.code = (JSON.parse(res.body ?? '{}') as { code?: string }).code;
              answers.push(answer);
              if (res.statusCode === 503) {
                const retryAfterMs = Number(res.headers?.['retry-after'] ?? res.headers?.['Retry-After'] ?? 1) * 1000;
                await new Promise((r) => setTimeout(r, Math.min(retryAfterMs, Math.max(0, end - performance.now()))));
              }
            }
          }),
        );
        const elapsed = (performance.now() - started) / 1000;
        const load = loadAverage();
        await new Promise((r) => setTimeout(r, AFTER_MS));
        sampling = false;
        await sampler;
        const after = await connections();

        const ok = answers.filter((a) => a.status < 300).length;
        const refused = answers.filter((a) => a.status === 503);
        const codes = [...new Set(refused.map((a) => a.code))].join(', ');
        const other = answers.filter((a) => a.status >= 300 && a.status !== 503);
        rows.push({
          setup: setupName,
          instances: n,
          'ok/s': Math.round(ok / elapsed),
          answers: answers.length,
          '503 %': Number(((100 * refused.length) / Math.max(1, answers.length)).toFixed(1)),
          '503 codes': codes,
          'p50 ms': Number(
            percentile(
              answers.map((a) => a.ms),
              0.5,
            ).toFixed(1),
          ),
          'p99 ms': Number(
            percentile(
              answers.map((a) => a.ms),
              0.99,
            ).toFixed(1),
          ),
          'other non-2xx': other.length ? `${other.length} (${[...new Set(other.map((a) => `${a.status} ${a.code}`))].join(', ')})` : 0,
          'connections at peak': peak,
          [`connections ${AFTER_MS / 1000} s after`]: after,
          load,
        });
        console.error(JSON.stringify(rows.at(-1)));
      }
    }
    return rows;
  } finally {
    for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name];
    Object.assign(process.env, savedEnv);
    await dataApi?.close().catch(() => undefined);
    await monitor.end().catch(() => undefined);
    await server.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** The smallest N of a setup whose load met any 503, or undefined. */
export const firstRefusing = (rows: Record<string, unknown>[], setup: Setup) =>
  rows
    .filter((r) => r.setup === setup && Number(r['503 %']) > 0)
    .map((r) => Number(r.instances))
    .sort((a, b) => a - b)[0];

if (import.meta.url === `file://${process.argv[1]}`) {
  const { parseArgs } = await import('node:util');
  const { values: args } = parseArgs({ options: { instances: { type: 'string', default: '10,50,100,200' }, seconds: { type: 'string', default: '8' } } });
  const instances = String(args.instances).split(',').map(Number);
  if (instances.some((n) => !Number.isInteger(n) || n < 1)) throw new Error(`--instances: expected positive integers, got ${args.instances}`);
  console.table(await benchConnections({ instances, seconds: Number(args.seconds) }));
}
