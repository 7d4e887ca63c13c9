/**
 * `npm start` (functions/local.ts) as its own process on a free port, for the client's end-to-end
 * tests: on the test run's PostgreSQL scratch database when TEST_DATABASE_URL is set, else on a
 * fresh embedded data directory. Also: a project with a key, and a fetch that records requests.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { type ClientOptions, createClient } from '../../../functions/client';
import { operationTable, type OperationId } from '../../../functions/client/operations';
import { startServerProcess } from '../../bench/support/server';
import { ADMIN_TOKEN } from '../../support/api';

export { ADMIN_TOKEN };

export async function startPipestore(env: Record<string, string> = {}) {
  const dataDir = mkdtempSync(join(tmpdir(), 'pipestore-client-'));
  const databaseUrl = inject('testDatabaseUrl') ?? `pglite:${join(dataDir, 'pipestore')}`;
  // Start-up is tsx plus migrations (PGlite: a fresh data directory): a minute or more on a loaded machine.
  const server = await startServerProcess('functions/local.ts', { DATABASE_URL: databaseUrl, ADMIN_TOKEN, LOG_LEVEL: 'silent', ...env }, '/health', 180_000);
  return {
    url: server.url,
    databaseUrl,
    async stop() {
      await server.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A new project and a client on its key. */
export async function projectClient(baseUrl: string, options: Partial<ClientOptions> = {}) {
  const admin = createClient({ baseUrl, apiKey: ADMIN_TOKEN });
  const project = await admin.projects.create({ body: { name: `client-${Math.random().toString(36).slice(2, 8)}` } });
  const key = await admin.keys.create({ id: project.id });
  return { project, apiKey: key.key, client: createClient({ baseUrl, apiKey: key.key, ...options }) };
}

/** A fetch that records each request's method, URL and status (or the error) before answering. */
export function recordingFetch(inner: typeof fetch = fetch) {
  const requests: { method: string; url: string; status: number | 'error'; at: number }[] = [];
  const recording: typeof fetch = async (input, init) => {
    const entry = { method: init?.method ?? 'GET', url: String(input), status: 'error' as number | 'error', at: performance.now() };
    requests.push(entry);
    const res = await inner(input, init);
    entry.status = res.status;
    return res;
  };
  return { fetch: recording, requests };
}

/** The operation a request went to, by matching its path against the operation table. */
export function operationOf(method: string, url: string): OperationId | undefined {
  const path = new URL(url).pathname;
  const candidates = (Object.keys(operationTable) as OperationId[])
    .filter((id) => operationTable[id].method === method)
    // Literal segments win over parameters (/v1/runs/stats before /v1/runs/{id}).
    .sort((a, b) => operationTable[a].path.split('{').length - operationTable[b].path.split('{').length);
  return candidates.find((id) => new RegExp(`^${operationTable[id].path.replace(/\{\w+\}/g, '[^/]+')}$`).test(path));
}
