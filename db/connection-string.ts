/**
 * The one reader of `postgres://` URLs, for the server, the Lambda functions and the CLI alike
 * (loaded with node-postgres only, never on a Data API cold start):
 * pg-connection-string, the parser node-postgres itself uses. It understands what users write,
 * including Unix sockets (`postgres://u:p@/db?host=/cloudsql/p:r:i`, `?host=/var/run/postgresql`)
 * and `sslmode`, which WHATWG `new URL()` alone does not.
 */
import { parse, type ConnectionOptions } from 'pg-connection-string';
import { ConfigError } from '../functions/config';
import type { TlsSettings } from './config';

export type ParsedDatabaseUrl = ConnectionOptions;

/** A ConfigError naming DATABASE_URL for a string that is no connection string (never quoting it: it holds a password). */
export function parseDatabaseUrl(url: string): ParsedDatabaseUrl {
  try {
    return parse(url);
  } catch (err) {
    throw new ConfigError([`DATABASE_URL: not a connection string (${(err as Error).message})`]);
  }
}

/**
 * node-postgres's `ssl` from DB_SSL and DB_SSL_CA over what the URL's sslmode says (undefined:
 * the driver's default). A CA turns verification on against it: Node trusts only its own CA list,
 * which does not hold Amazon RDS's (README: DB_SSL_CA).
 */
export function tlsSettings(
  config: { ssl?: boolean | { rejectUnauthorized: false }; sslCa?: string },
  fromUrl: ParsedDatabaseUrl['ssl'] | undefined,
): TlsSettings | undefined {
  const urlOptions = typeof fromUrl === 'object' && fromUrl !== null ? (fromUrl as Exclude<TlsSettings, boolean>) : undefined;
  const base = { ...urlOptions, ...(config.sslCa && { ca: config.sslCa }) };
  if (config.ssl === false) return false;
  if (typeof config.ssl === 'object') return { ...base, rejectUnauthorized: false };
  if (config.sslCa) return { ...base, rejectUnauthorized: true };
  if (config.ssl === true) return urlOptions ?? true;
  return (fromUrl as TlsSettings | undefined) ?? undefined;
}

/** Where a URL points, for messages: host and port or socket directory, and database; never the password. */
export function describeDatabaseUrl(url: string): string {
  const parsed = parseDatabaseUrl(url);
  const database = parsed.database || parsed.user || '(default database)';
  const host = parsed.host || 'localhost';
  const where = host.startsWith('/') ? `socket ${host}${parsed.port ? ` port ${parsed.port}` : ''}` : `${host}:${parsed.port || 5432}`;
  return `${where}/${database}`;
}
