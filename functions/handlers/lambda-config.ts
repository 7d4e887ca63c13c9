/**
 * Configuration of the Lambda entries. SST links (the `Resource` object) come first, the plain
 * environment is the fallback, and the result goes through the same validated loadConfig as every
 * other entry point, with the Lambda defaults (node-postgres pool of 1 that lets the process exit
 * when idle). A linked Aurora cluster selects the Data API, or node-postgres through its RDS Proxy
 * when the deploy set PIPESTORE_DB_PROXY; a linked `DatabaseUrl` secret or DATABASE_URL selects
 * node-postgres.
 */
import { Resource } from 'sst/resource';
import { type AppConfig, ConfigError, loadConfig } from '../config';
import { setLogLevel } from '../log';

type Env = Record<string, string | undefined>;

/** The link names infra/ gives its components (sst.aws.Aurora 'Database', sst.Secret …). */
export interface Links {
  Database?: { clusterArn?: string; secretArn?: string; database?: string; host?: string; port?: number; username?: string; password?: string };
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
  if (aurora?.host && env.PIPESTORE_DB_PROXY === 'true') {
    // RDS Proxy in front of the cluster (infra/database.ts): node-postgres to the endpoint SST links
    // as the cluster's host, with the credentials it links. The proxy requires TLS; its certificate
    // is issued by ACM, which Node's own CA list verifies.
    Object.assign(merged, {
      DB_HOST: aurora.host,
      DB_PORT: aurora.port === undefined ? undefined : String(aurora.port),
      DB_NAME: aurora.database,
      DB_USER: aurora.username,
      DB_PASS: aurora.password,
      DB_SSL: 'true',
    });
  } else if (aurora?.clusterArn && aurora.secretArn) {
    Object.assign(merged, { DB_CLUSTER_ARN: aurora.clusterArn, DB_SECRET_ARN: aurora.secretArn, DB_NAME: aurora.database });
  } else if (links.DatabaseUrl?.value) {
    merged.DATABASE_URL = links.DatabaseUrl.value;
  }
  if (links.AdminToken?.value) merged.ADMIN_TOKEN = links.AdminToken.value;
  return merged;
}

/**
 * Validated configuration for a Lambda entry, with the log level applied. The embedded PGlite is
 * refused: it is not in the bundle, and on Lambda it would be a throwaway database that silently
 * loses every write.
 */
export function loadLambdaConfig(env: Env = process.env, links: Links = readLinks()): AppConfig {
  const config = loadConfig(linkedEnvironment(env, links), 'lambda');
  if (config.database.driver === 'pglite') {
    throw new ConfigError([
      'no database configured: link the Aurora cluster (sst.config.ts), or set DB_CLUSTER_ARN + DB_SECRET_ARN + DB_NAME, or DATABASE_URL=postgres://… (the embedded PGlite does not run on Lambda)',
    ]);
  }
  setLogLevel(config.logLevel);
  return config;
}

/** Minimal Lambda context: what these handlers use of it. */
export interface LambdaContextLike {
  awsRequestId?: string;
  getRemainingTimeInMillis(): number;
}
