import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { AppConfig } from '../config';

/**
 * On the embedded file store with no ADMIN_TOKEN, a token is made on first start, kept next to the
 * data directory (mode 0600) and printed once, so a newcomer can create a project right away.
 */
export function localAdminToken(config: AppConfig): string | undefined {
  if (config.database.driver !== 'pglite' || !config.database.dataDir) return undefined;
  const file = join(dirname(config.database.dataDir), 'admin-token');
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const token = `psadmin_${randomBytes(24).toString('base64url')}`;
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  process.stdout.write(`\nNo ADMIN_TOKEN set: generated a local admin token (saved in ${file}):\n\n  ${token}\n\n`);
  return token;
}
