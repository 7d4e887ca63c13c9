/**
 * `npm start`: the API as a plain Node server. With no database configured it runs on the
 * embedded store in ./.data/, so a newcomer needs nothing installed. The server's limits and its
 * shutdown live in functions/local/.
 */
import { createDatabase } from '../db/client';
import { ConfigError, loadConfig } from './config';
import { migrateDatabase } from '../db/migrate';
import { createApp } from './api/app';
import { localAdminToken } from './local/admin-token';
import { backgroundTasks } from './local/background';
import { createLocalServer } from './local/server';
import { gracefulShutdown } from './local/shutdown';
import { log, setLogLevel } from './log';

async function main(): Promise<void> {
  const config = loadConfig();
  setLogLevel(config.logLevel);
  const database = await createDatabase(config.database);
  await migrateDatabase(database);

  const app = createApp({ database, config: { ...config, adminToken: config.adminToken ?? localAdminToken(config) } });
  const { server, policy, listen } = createLocalServer(app, config.server);
  const tasks = backgroundTasks({ database, config });
  const shutdown = gracefulShutdown({ server, policy, graceMs: config.server.shutdownGraceMs, tasks, database });
  const onSignal = (signal: NodeJS.Signals) => void shutdown(signal).then((code) => process.exit(code));
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  const address = await listen(config.port);
  const where = config.database.driver === 'pglite' ? (config.database.dataDir ?? 'in memory') : config.database.driver;
  log.info('pipestore listening', { url: `http://${address.address}:${address.port}`, database: where });
  for (const task of tasks) task.start();
}

main().catch((err) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
  } else {
    log.error('start-up failed', { error: err instanceof Error ? err.stack : String(err) });
  }
  process.exit(1);
});
