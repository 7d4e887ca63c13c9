import { mkdirSync } from 'node:fs';
import type { PgDatabase, PgQueryResultHKT, PgTransaction } from 'drizzle-orm/pg-core';
import type { ExtractTablesWithRelations } from 'drizzle-orm';
import { is, sql } from 'drizzle-orm';
import { PgTransaction as PgTransactionClass } from 'drizzle-orm/pg-core';
import type { DatabaseConfig } from './config';
import type { ParsedDatabaseUrl } from './connection-string';
import { log } from '../functions/log';
import { isConnectionError, isConnectionsExhausted, neverSent } from './errors';

/**
 * The one database type the rest of the code sees, whichever driver is underneath. Without the
 * schema: the code queries with the query builder and SQL, never `db.query`, and a drizzle()
 * given the schema maps its relations each time it is called, which is on every transaction and
 * session (a few hundred microseconds of CPU per request) as well as at init.
 */
export type Db = PgDatabase<PgQueryResultHKT>;
export type Tx = PgTransaction<PgQueryResultHKT, Record<string, never>, ExtractTablesWithRelations<Record<string, never>>>;
/** Query functions take either, so they compose inside a caller's transaction. */
export type DbOrTx = Db | Tx;
export type DriverName = DatabaseConfig['driver'];

export interface Database {
  db: Db;
  driver: DriverName;
  /** Round trips sent to the database since creation, counted at the driver (tests, benchmarks). */
  readonly roundTrips: number;
  /**
   * Runs `fn` on one connection held for its whole duration (session-level locks, SET). Drivers
   * without connections (PGlite: there is only one; Data API: none) run it on `db` directly.
   */
  withSession<T>(fn: (db: Db) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

/**
 * Runs `fn` so that a statement failing in it leaves the caller's transaction usable for what
 * comes next (code that catches a constraint violation and then queries to explain it): in a
 * savepoint when `db` is a transaction, as is when it is not (then every statement stands alone).
 */
export function recoverable<T>(db: DbOrTx, fn: (db: DbOrTx) => Promise<T>): Promise<T> {
  return is(db, PgTransactionClass) ? (db as Tx).transaction(fn) : fn(db);
}

const drizzleOptions = { casing: 'snake_case' } as const;

// Databases whose driver may share one prepared statement between concurrent executions.
const sharesPreparedStatements = new WeakSet<object>();
const preparedStatements = new WeakMap<object, Map<string, unknown>>();

/**
 * A statement built once per database and reused: on node-postgres a named prepared statement
 * skips the query builder and the server's parse/plan, which brings hot reads to raw `pg` speed.
 * Undefined on the Data API (its driver sends the last call's parameters for every concurrent
 * execution of one prepared statement) and inside transactions: callers then build the query.
 */
export function preparedFor<T>(db: DbOrTx, name: string, build: (db: Db) => T): T | undefined {
  if (!sharesPreparedStatements.has(db)) return undefined;
  let statements = preparedStatements.get(db);
  if (!statements) preparedStatements.set(db, (statements = new Map()));
  let statement = statements.get(name) as T | undefined;
  if (!statement) statements.set(name, (statement = build(db as Db)));
  return statement;
}

/**
 * Counts the round trips a node-postgres pool's clients make (one `client.query` each), for
 * `Database.roundTrips` and for the raw pools benchmarks compare against.
 */
export function countRoundTrips(pool: import('pg').Pool): () => number {
  let roundTrips = 0;
  pool.on('connect', (client) => {
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as { query: unknown }).query = (...args: unknown[]) => {
      roundTrips++;
      return query(...args);
    };
  });
  return () => roundTrips;
}

/**
 * Opens the database named by the configuration. PGlite is imported lazily: it is 27 MB and must
 * never end up in a Lambda bundle.
 */
export async function createDatabase(config: DatabaseConfig): Promise<Database> {
  switch (config.driver) {
    case 'pglite':
      return openPglite(config.dataDir);
    case 'pg':
      return openNodePostgres(config);
    case 'data-api':
      return openDataApi(config);
  }
}

async function openPglite(dataDir: string | null): Promise<Database> {
  const { PGlite } = await import('@electric-sql/pglite');
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const client = dataDir ? new PGlite(dataDir) : new PGlite();
  await client.waitReady;
  return wrapPglite(client);
}

/** Wraps an already open PGlite (tests clone a migrated instance instead of migrating again). */
export async function wrapPglite(client: import('@electric-sql/pglite').PGlite): Promise<Database> {
  const { drizzle } = await import('drizzle-orm/pglite');
  let roundTrips = 0;
  const count = <T extends (...args: never[]) => unknown>(fn: T): T =>
    ((...args: Parameters<T>) => {
      roundTrips++;
      return fn(...args);
    }) as T;
  // PGlite runs in-process, so a "round trip" is one call into the engine; BEGIN and COMMIT are
  // counted like node-postgres sends them, so both drivers report the same numbers.
  client.query = count(client.query.bind(client));
  client.exec = count(client.exec.bind(client));
  const transaction = client.transaction.bind(client);
  client.transaction = (fn) => {
    roundTrips += 2;
    return transaction((tx) => {
      tx.query = count(tx.query.bind(tx));
      tx.exec = count(tx.exec.bind(tx));
      return fn(tx);
    });
  };
  const db = drizzle({ client, ...drizzleOptions }) as unknown as Db;
  sharesPreparedStatements.add(db);
  return {
    db,
    driver: 'pglite',
    get roundTrips() {
      return roundTrips;
    },
    withSession: (fn) => fn(db),
    close: () => client.close(),
  };
}

/** Opening a connection, when the configuration names no bounds (tools, tests). */
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
/**
 * How much longer than the server's statement_timeout the client waits for a reply: the server's
 * own cancellation (57014) normally comes first; past this there is no server to hear from.
 */
export const STATEMENT_GRACE_MS = 1_000;

async function openNodePostgres(config: Extract<DatabaseConfig, { driver: 'pg' }>): Promise<Database> {
  const { default: pg } = await import('pg');
  const { drizzle } = await import('drizzle-orm/node-postgres');
  const t = config.timeouts;
  const connectMs = t ? t.connectMs : DEFAULT_CONNECT_TIMEOUT_MS;
  // The pool's own timeout bounds the wait for a busy pool; each client's bounds opening it.
  class BoundedClient extends pg.Client {
    constructor(options?: import('pg').ClientConfig) {
      // pg-pool keeps the password non-enumerable, so a spread alone would drop it.
      super({ ...options, password: options?.password, connectionTimeoutMillis: connectMs || undefined });
    }
  }
  // Loaded here, with pg: a Data API cold start never loads the URL parser.
  const { parseDatabaseUrl, tlsSettings } = await import('./connection-string');
  // The URL through the same parser as the CLI (db/connection-string.ts),
  // rather than as `connectionString`: node-postgres would let the URL's sslmode override `ssl`,
  // losing DB_SSL_CA.
  const fromUrl = config.connectionString ? (parseDatabaseUrl(config.connectionString) as Record<string, unknown>) : {};
  const pool = new pg.Pool({
    ...fromUrl,
    Client: BoundedClient,
    host: config.host ?? (fromUrl.host as string | undefined),
    port: config.port ?? (Number(fromUrl.port) || undefined),
    database: config.database ?? (fromUrl.database as string | undefined),
    user: config.user ?? (fromUrl.user as string | undefined),
    password: config.password ?? (fromUrl.password as string | undefined),
    ssl: tlsSettings(config, fromUrl.ssl as ParsedDatabaseUrl['ssl']),
    max: config.poolMax,
    allowExitOnIdle: config.allowExitOnIdle,
    idleTimeoutMillis: config.idleTimeoutMillis,
    connectionTimeoutMillis: t ? t.acquireMs || undefined : DEFAULT_CONNECT_TIMEOUT_MS,
    // Sent in the startup message: the server enforces them on every statement and transaction.
    ...(t?.statementMs && { statement_timeout: t.statementMs, query_timeout: t.statementMs + STATEMENT_GRACE_MS }),
    ...(t?.idleInTransactionMs && { idle_in_transaction_session_timeout: t.idleInTransactionMs }),
    ...(t?.keepAliveMs && { keepAlive: true, keepAliveInitialDelayMillis: t.keepAliveMs }),
  });
  // Mandatory: an idle client killed by the server (or a proxy) emits 'error' on the pool, and an
  // unhandled 'error' event crashes the process. The pool discards that client by itself.
  pool.on('error', (err) => {
    log.warn('idle database connection dropped', { error: err.message });
  });
  // The pool listens for errors only on idle clients. A connection that breaks while checked out
  // (mid-transaction) fails its query and then emits 'error' too: unheard, that would crash the
  // process. The query's own error is what callers see; the pool drops the client on release.
  pool.on('connect', (client) => client.on('error', () => undefined));

  const roundTrips = countRoundTrips(pool);

  // One retry, only when the statement provably never reached the server (the connection could
  // not be opened, or the pool handed out one already known broken), or when it is a plain read.
  // A write whose connection failed mid-way may have been applied: sending it again could apply it
  // twice, so its error goes to the caller (503; the client retries, with its Idempotency-Key).
  const poolQuery = pool.query.bind(pool) as (...args: unknown[]) => Promise<unknown>;
  (pool as { query: unknown }).query = async (...args: unknown[]) => {
    try {
      return await poolQuery(...args);
    } catch (err) {
      // Never after a timeout: the bound is the bound, a second wait would double it. Never when
      // the server is out of connection slots: an instant second attempt only adds to the crowd.
      if (!isConnectionError(err) || isTimeout(err) || isConnectionsExhausted(err) || !(neverSent(err) || isPlainRead(args[0]))) throw err;
      return poolQuery(...args);
    }
  };

  const db = drizzle({ client: pool, ...drizzleOptions }) as unknown as Db;
  // Drizzle's own transaction over a pool never releases the client when BEGIN fails (a dropped
  // connection): every such failure would take one connection from the pool for good, and a
  // Lambda's pool of one would be dead after the first. Here the client is always released, and
  // destroyed rather than reused when its connection failed.
  (db as { transaction: unknown }).transaction = async (fn: (tx: Tx) => Promise<unknown>, config?: unknown) => {
    const client = await pool.connect();
    let failure: unknown;
    try {
      const session = drizzle({ client, ...drizzleOptions }) as unknown as Db;
      return await session.transaction(fn, config as Parameters<Db['transaction']>[1]);
    } catch (err) {
      failure = err;
      throw err;
    } finally {
      client.release(isConnectionError(failure) ? (failure as Error) : undefined);
    }
  };
  sharesPreparedStatements.add(db);
  return {
    db,
    driver: 'pg',
    get roundTrips() {
      return roundTrips();
    },
    async withSession(fn) {
      const client = await pool.connect();
      try {
        return await fn(drizzle({ client, ...drizzleOptions }) as unknown as Db);
      } finally {
        client.release();
      }
    },
    close: () => pool.end(),
  };
}

const isTimeout = (err: unknown) => /timeout|timed out/i.test(String((err as { message?: unknown })?.message ?? ''));

/** A SELECT (not … FOR UPDATE/SHARE): running it twice changes nothing. */
function isPlainRead(query: unknown): boolean {
  const text = typeof query === 'string' ? query : (query as { text?: unknown } | undefined)?.text;
  return typeof text === 'string' && /^\s*select\b/i.test(text) && !/\bfor\s+(update|no key update|share|key share)\b/i.test(text);
}

async function openDataApi(config: Extract<DatabaseConfig, { driver: 'data-api' }>): Promise<Database> {
  const { RDSDataClient } = await import('@aws-sdk/client-rds-data');
  const { drizzle } = await import('drizzle-orm/aws-data-api/pg');
  const t = config.timeouts;
  const client = new RDSDataClient({
    region: config.region ?? 'us-east-1',
    endpoint: config.endpoint,
    // The SDK retries a request whose reply was lost, which can run a write twice: never.
    maxAttempts: 1,
    ...(t && {
      requestHandler: {
        connectionTimeout: t.connectMs || undefined,
        requestTimeout: t.statementMs ? t.statementMs + STATEMENT_GRACE_MS : undefined,
      },
    }),
  });
  let roundTrips = 0;
  client.middlewareStack.add(
    (next) => (args) => {
      roundTrips++;
      return next(args);
    },
    { step: 'initialize', name: 'pipestoreRoundTripCounter' },
  );
  const db = drizzle(client, {
    database: config.database,
    resourceArn: config.resourceArn,
    secretArn: config.secretArn,
    ...drizzleOptions,
  }) as unknown as Db;
  return {
    db,
    driver: 'data-api',
    get roundTrips() {
      return roundTrips;
    },
    withSession: (fn) => fn(db),
    close: async () => client.destroy(),
  };
}

/** Reachability and latency of the database, for /health and `db check`. */
export async function pingDatabase(db: Db): Promise<{ ok: true; latencyMs: number } | { ok: false; error: unknown }> {
  const started = performance.now();
  try {
    await db.execute(sql`select 1`);
    return { ok: true, latencyMs: Math.round((performance.now() - started) * 100) / 100 };
  } catch (error) {
    return { ok: false, error };
  }
}
