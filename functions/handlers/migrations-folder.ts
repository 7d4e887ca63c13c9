import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { MIGRATIONS_JOURNAL } from '../../db/migrate';

/**
 * The migrator's migrations folder: `configured` (MIGRATIONS_DIR) when set, else `migrations/`
 * beside the module at `moduleUrl`, the bundle (SST's copyFiles and `npm run build` both put it
 * there), else the nearest one above it, which also finds db/migrations when the handler runs
 * from the repository.
 */
export function findMigrationsFolder(configured: string | undefined, moduleUrl: string): string {
  const from = dirname(fileURLToPath(moduleUrl));
  if (configured) {
    const dir = resolve(configured);
    if (!existsSync(join(dir, MIGRATIONS_JOURNAL))) throw new Error(`MIGRATIONS_DIR: no ${MIGRATIONS_JOURNAL} in ${dir}`);
    return dir;
  }
  for (let dir = from; ; dir = dirname(dir)) {
    for (const candidate of [join(dir, 'migrations'), join(dir, 'db', 'migrations')]) {
      if (existsSync(join(candidate, MIGRATIONS_JOURNAL))) return candidate;
    }
    if (dirname(dir) === dir) throw new Error(`no migrations folder (with ${MIGRATIONS_JOURNAL}) next to or above ${from}; set MIGRATIONS_DIR`);
  }
}
