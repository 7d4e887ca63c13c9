/**
 * Configuration of the Lambda entries. SST links (the `Resource` object) come first, the plain
 * environment is the fallback, and the result goes through the same validated loadConfig as every
 * other entry point, with the Lambda defaults (node-postgres pool of 1 that lets the process exit
 * when idle). A linked Aurora cluster selects the Data API; a linked `DatabaseUrl` secret or
 * DATABASE_URL selects node-postgres.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Resource } from 'sst/resource';
import { type AppConfig, ConfigError, loadConfig } from '../../db/config';
import { isConnectionError } from '../../db/errors';

type Env = Record<string, string | undefined>;

/** The link names infra/ gives its components (sst.aws.Aurora 'Database', sst.Secret …). */
export interface Links {
  Database?: { clusterArn?: string; secretArn?: string; database?: string };
  DatabaseUrl?: { value?: string };
  AdminToken?: { value?: string };
}

/**
 * The linked resources this function has, or none. Outside SST (tests, a plain `node`) Resource
 * throws on any unknown name, and a malformed link must not take the function down with a less
 * helpful error than loadConfig's, so every access is guarded.
 */
export function readLinks(): Links {
  const pick = <K extends keyof Links>(name: K): Links[K] => {
    try {
      return name in Resource ? ((Resource as unknown as Record<string, Links[K]>)[name] ?? undefined) : undefined;
    } catch {
      return undefined;
    }
  };
  return { Database: pick('Database'), DatabaseUrl: pick('DatabaseUrl'), AdminToken: pick('AdminToken') };
}

/** The environment loadConfig reads: links override the variables they stand for. */
export function linkedEnvironment(env: Env, links: Links): Env {
  const merged: Env = { ...env };
  const aurora = links.Database;
  if (aurora?.clusterArn && aurora.secretArn) {
    Object.assign(merged, { DB_CLUSTER_ARN: aurora.clusterArn, DB_SECRET_ARN: aurora.secretArn, DB_NAME: aurora.database });
  } else if (links.DatabaseUrl?.value) {
    merged.DATABASE_URL = links.DatabaseUrl.value;
  }
  if (links.AdminToken?.value) merged.ADMIN_TOKEN = links.AdminToken.value;
  return merged;
}

/**
 * Validated configuration for a Lambda entry. The embedded PGlite is refused: it is not in the
 * bundle, and on Lambda it would be a throwaway database that silently loses every write.
 */
export function loadLambdaConfig(env: Env = process.env, links: Links = readLinks()): AppConfig {
  const config = loadConfig(linkedEnvironment(env, links), 'lambda');
  if (config.database.driver === 'pglite') {
    throw new ConfigError([
      'no database configured: link the Aurora cluster (sst.config.ts), or set DB_CLUSTER_ARN + DB_SECRET_ARN + DB_NAME, or DATABASE_URL=postgres://… (the embedded PGlite does not run on Lambda)',
    ]);
  }
  return config;
}

/**
 * Runs `fn` again while the database is waking up. An Aurora cluster that scaled to zero answers
 * DatabaseResumingException for ~15 s; deploy-time migrations and scheduled cleanup are idempotent,
 * so they wait instead of failing the deploy or skipping a round. The API does not wait: it answers
 * 503 with Retry-After and lets the client decide.
 */
export async function retryWhileUnavailable<T>(fn: () => Promise<T>, { deadline, pauseMs = 2_000 }: { deadline: number; pauseMs?: number }): Promise<T> {
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!isConnectionError(err) || Date.now() + pauseMs >= deadline) throw err;
      console.warn(JSON.stringify({ level: 'warn', time: new Date().toISOString(), msg: 'database unavailable, retrying', error: String(err) }));
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  }
}

export const JOURNAL = join('meta', '_journal.json');

/**
 * The migrator's migrations folder: MIGRATIONS_DIR when set, else `migrations/` beside the module
 * at `moduleUrl`, the bundle (SST's copyFiles and `npm run build` both put it there), else the
 * nearest one above it, which also finds db/migrations when the handler runs from the repository.
 */
export function findMigrationsFolder(env: Env, moduleUrl: string): string {
  const from = dirname(fileURLToPath(moduleUrl));
  if (env.MIGRATIONS_DIR) {
    const dir = resolve(env.MIGRATIONS_DIR);
    if (!existsSync(join(dir, JOURNAL))) throw new Error(`MIGRATIONS_DIR: no ${JOURNAL} in ${dir}`);
    return dir;
  }
  for (let dir = from; ; dir = dirname(dir)) {
    for (const candidate of [join(dir, 'migrations'), join(dir, 'db', 'migrations')]) {
      if (existsSync(join(candidate, JOURNAL))) return candidate;
    }
    if (dirname(dir) === dir) throw new Error(`no migrations folder (with ${JOURNAL}) next to or above ${from}; set MIGRATIONS_DIR`);
  }
}

/** Minimal Lambda context: what these handlers use of it. */
export interface LambdaContextLike {
  awsRequestId?: string;
  getRemainingTimeInMillis(): number;
}
