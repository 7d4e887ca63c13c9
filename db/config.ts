/**
 * What the database client is configured with. The values come from the typed configuration
 * (functions/config.ts), the one reader of the environment.
 */

/**
 * Every wait on the database is bounded: a partition (no reset, no bytes) must not hold
 * a request longer than these. 0 turns a bound off (the CLI's long migrations and transfers).
 */
export interface DatabaseTimeouts {
  /** Opening a connection (TCP + TLS + auth). */
  connectMs: number;
  /** Waiting for a pooled connection when all are busy (includes opening one). */
  acquireMs: number;
  /** Postgres `statement_timeout`; the client gives up STATEMENT_GRACE_MS later (no reply at all). */
  statementMs: number;
  /** Postgres `idle_in_transaction_session_timeout`: how long a transaction whose client went silent keeps its locks. */
  idleInTransactionMs: number;
  /** TCP keepalive: first probe after this much silence. */
  keepAliveMs: number;
}

export type DatabaseConfig =
  | { driver: 'pglite'; dataDir: string | null }
  | {
      driver: 'pg';
      connectionString?: string;
      host?: string;
      port?: number;
      database?: string;
      user?: string;
      password?: string;
      /** DB_SSL; combined with the URL's sslmode and DB_SSL_CA by db/connection-string.ts. */
      ssl?: boolean | { rejectUnauthorized: false };
      /** DB_SSL_CA: PEM text of the CA certificates to verify the server against. */
      sslCa?: string;
      poolMax: number;
      allowExitOnIdle: boolean;
      idleTimeoutMillis: number;
      /** Absent: only a connect timeout (DEFAULT_CONNECT_TIMEOUT_MS), as for tools and tests. */
      timeouts?: DatabaseTimeouts;
    }
  | {
      driver: 'data-api';
      resourceArn: string;
      secretArn: string;
      database: string;
      region?: string;
      endpoint?: string;
      timeouts?: DatabaseTimeouts;
    };

/** node-postgres's `ssl`: true (verify against Node's CAs), false, or TLS options. */
export type TlsSettings = boolean | { rejectUnauthorized?: boolean; ca?: string; cert?: string; key?: string };
