/**
 * The API over real PostgreSQL behind a TCP proxy a test can cut (PGlite is in-process and cannot
 * be cut): what the outage, stale-authentication and partition tests start from.
 */
import { inject } from 'vitest';
import { createDatabase, type Database } from '../../db/client';
import { createApp } from '../../functions/api/app';
import { loadConfig } from '../../functions/config';
import { ADMIN_TOKEN } from './api';
import { startTcpProxy } from './tcp-proxy';

export interface ProxiedApp {
  proxy: Awaited<ReturnType<typeof startTcpProxy>>;
  database: Database;
  app: ReturnType<typeof createApp>;
  /** JSON in, JSON (or undefined) out, with `token` as the bearer. */
  request(method: string, path: string, token: string, body?: unknown): Promise<{ status: number; headers: Headers; body: any }>;
  /** Restores the link, closes the database, then the proxy. */
  close(): Promise<void>;
}

/** `env` adds to the server configuration (a pool of 4, silent logs, the test admin token). */
export async function proxiedApp(env: Record<string, string>): Promise<ProxiedApp> {
  const url = new URL(inject('testDatabaseUrl')!);
  const proxy = await startTcpProxy({ host: url.hostname, port: Number(url.port || 5432) });
  url.host = `127.0.0.1:${proxy.port}`;
  const config = loadConfig({ DATABASE_URL: url.toString(), ADMIN_TOKEN, LOG_LEVEL: 'silent', DB_POOL_MAX: '4', ...env }, 'server');
  const database = await createDatabase(config.database);
  const app = createApp({ database, config });
  return {
    proxy,
    database,
    app,
    async request(method, path, token, body) {
      const res = await app.request(path, {
        method,
        headers: { Authorization: `Bearer ${token}`, ...(body !== undefined && { 'Content-Type': 'application/json' }) },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      return { status: res.status, headers: res.headers, body: await res.json().catch(() => undefined) };
    },
    async close() {
      proxy.restore();
      await database.close();
      await proxy.close();
    },
  };
}
