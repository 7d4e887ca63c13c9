/** The app as `npm start` serves it (its Node server and limits, on a loopback port), over a given database. */
import type { Database } from '../../db/client';
import { loadConfig } from '../../functions/config';
import { createApp } from '../../functions/api/app';
import { createLocalServer } from '../../functions/local/server';

export async function startServer(database: Database, env: Record<string, string>) {
  const config = loadConfig({ LOG_LEVEL: 'silent', ...env });
  const { server, listen } = createLocalServer(createApp({ database, config }), { ...config.server, host: '127.0.0.1' });
  const { port } = await listen(0);
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
