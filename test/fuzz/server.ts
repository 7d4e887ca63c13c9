/** The app as `npm start` serves it (the Node adapter on a loopback port), over a given database. */
import type { AddressInfo } from 'node:net';
import { serve } from '@hono/node-server';
import type { Database } from '../../db/client';
import { loadConfig } from '../../db/config';
import { createApp } from '../../functions/api/app';

export async function startServer(database: Database, env: Record<string, string>) {
  const app = createApp({ database, config: loadConfig({ LOG_LEVEL: 'silent', ...env }) });
  const server = await new Promise<ReturnType<typeof serve>>((resolve) => {
    const s = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
