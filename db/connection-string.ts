/**
 * The one reader of `postgres://` URLs, for the server, the Lambda functions and the CLI alike:
 * pg-connection-string, the parser node-postgres itself uses. It understands what users write,
 * including Unix sockets (`postgres://u:p@/db?host=/cloudsql/p:r:i`, `?host=/var/run/postgresql`)
 * and `sslmode`, which WHATWG `new URL()` alone does not.
 */
import { parse, type ConnectionOptions } from 'pg-connection-string';

export type ParsedDatabaseUrl = ConnectionOptions;

/** Throws on a string that is no connection string (the message never contains the URL). */
export const parseDatabaseUrl = (url: string): ParsedDatabaseUrl => parse(url);

/** Where a URL points, for messages: host and port or socket directory, and database; never the password. */
export function describeDatabaseUrl(url: string): string {
  const parsed = parseDatabaseUrl(url);
  const database = parsed.database || parsed.user || '(default database)';
  const host = parsed.host || 'localhost';
  const where = host.startsWith('/') ? `socket ${host}${parsed.port ? ` port ${parsed.port}` : ''}` : `${host}:${parsed.port || 5432}`;
  return `${where}/${database}`;
}
