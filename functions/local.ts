/**
 * `npm start`: the API as a plain Node server. With no database configured it runs on the
 * embedded store in ./.data/, so a newcomer needs nothing installed.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { serve } from '@hono/node-server';
import { createDatabase } from '../db/client';
import { type AppConfig, ConfigError, loadConfig } from '../db/config';
import { migrateDatabase } from '../db/migrate';
import { createApp } from './api/app';
import { log, setLogLevel } from './log';

async function main(): Promise<void> {
  const config = loadConfig();
  setLogLevel(config.logLevel);
  const database = await createDatabase(config.database);
  await migrateDatabase(database);

  const app = createApp({ database, config: { ...config, adminToken: config.adminToken ?? localAdminToken(config) } });
  const server = serve({ fetch: app.fetch, port: config.port, hostname: process.env.HOST ?? '127.0.0.1' }, (info) => {
    const where = config.database.driver === 'pglite' ? (config.database.dataDir ?? 'in memory') : config.database.driver;
    log.info('pipestore listening', { url: `http://${info.address}:${info.port}`, database: where });
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info('shutting down', { signal });
    // Stop accepting requests, let in-flight ones finish, then close the database: PGlite must
    // be closed cleanly or its data directory needs recovery on the next start.
    server.close(() => {
      database.close().then(
        () => process.exit(0),
        (err) => {
          log.error('database close failed', { error: String(err) });
          process.exit(1);
        },
      );
    });
  };
  process.on('SIGINT', () => stop('SIGINT'));
  process.on('SIGTERM', () => stop('SIGTERM'));
}

/**
 * On the embedded file store with no ADMIN_TOKEN, a token is made on first start, kept next to the
 * data directory (mode 0600) and printed once, so a newcomer can create a project right away.
 */
function localAdminToken(config: AppConfig): string | undefined {
  if (config.database.driver !== 'pglite' || !config.database.dataDir) return undefined;
  const file = join(dirname(config.database.dataDir), 'admin-token');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const token = `psadmin_${randomBytes(24).toString('base64url')}`;
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  process.stdout.write(`\nNo ADMIN_TOKEN set: generated a local admin token (saved in ${file}):\n\n  ${token}\n\n`);
  return token;
}

main().catch((err) => {
  if (err instanceof ConfigError) {
    process.stderr.write(`${err.message}\n`);
  } else {
    log.error('start-up failed', { error: err instanceof Error ? err.stack : String(err) });
  }
  process.exit(1);
});
