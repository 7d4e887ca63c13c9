/**
 * Where the local Data API runs its SQL. A backend executes bound statements either on its own
 * (autocommit, like a Data API call without transactionId) or inside a transaction it hands out;
 * transaction ids, timeouts and the wire format belong to the server.
 */
import pg from 'pg';
import type { PGlite } from '@electric-sql/pglite';
import type { BoundStatement } from './sql-params';

export interface StatementResult {
  /** Columns of the result set; empty when the statement returned none (DML without RETURNING, DDL). */
  fields: { name: string; dataTypeID: number; dataTypeModifier?: number }[];
  /** Raw text values in column order. */
  rows: (string | null)[][];
  command: string;
  rowCount: number | null;
}

export interface BackendSession {
  execute(statement: BoundStatement): Promise<StatementResult>;
}

export interface BackendTransaction extends BackendSession {
  /** Resolves false when Postgres ended the transaction with a rollback (it had failed). */
  commit(): Promise<boolean>;
  rollback(): Promise<void>;
}

export interface DataApiBackend extends BackendSession {
  begin(): Promise<BackendTransaction>;
  /** Releases what the backend created (pools); never closes a database handed to it. */
  close(): Promise<void>;
}

const raw = (value: string) => value;

// The Data API session runs in UTC (Aurora's default); timestamp-typed parameters written to
// timestamptz columns are interpreted in it, so make the local session agree.
const SESSION_TIME_ZONE = 'UTC';

type Queryable = pg.Pool | pg.PoolClient;

async function runPg(db: Queryable, statement: BoundStatement): Promise<StatementResult> {
  // node-postgres reads `types` twice: as the parameter type OIDs of the Parse message (an array)
  // and as the result type parsers (getTypeParser). One object serves both purposes.
  const types = Object.assign([...statement.types], { getTypeParser: () => raw });
  const hasParams = statement.values.length > 0;
  const config = {
    text: statement.text,
    rowMode: 'array',
    types,
    // Without parameters the simple protocol is used, so multi-statement scripts (migrations)
    // work as they do through JDBC; the first result is reported.
    ...(hasParams ? { values: statement.values, queryMode: 'extended' } : {}),
  } as unknown as pg.QueryArrayConfig;
  const res: pg.QueryArrayResult | pg.QueryArrayResult[] = await db.query(config);
  const first = Array.isArray(res) ? res[0]! : res;
  return {
    fields: first.fields.map((f: pg.FieldDef) => ({ name: f.name, dataTypeID: f.dataTypeID, dataTypeModifier: f.dataTypeModifier })),
    rows: first.rows as (string | null)[][],
    command: first.command,
    rowCount: first.rowCount,
  };
}

/** node-postgres pool; each transaction owns one pooled connection until it ends. */
export function pgBackend(connectionString: string, poolMax = 10): DataApiBackend {
  const pool = new pg.Pool({
    connectionString,
    max: poolMax,
    idleTimeoutMillis: 10_000,
    allowExitOnIdle: true,
    options: `-c TimeZone=${SESSION_TIME_ZONE}`,
  });
  // An idle client losing its connection must not crash the test process.
  pool.on('error', () => {});

  return {
    execute: (statement) => runPg(pool, statement),
    async begin() {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
      } catch (error) {
        client.release(error as Error);
        throw error;
      }
      let released = false;
      const end = async (sql: 'COMMIT' | 'ROLLBACK') => {
        try {
          return await client.query(sql);
        } catch (error) {
          released = true;
          client.release(error as Error);
          throw error;
        } finally {
          if (!released) client.release();
        }
      };
      return {
        execute: (statement) => runPg(client, statement),
        commit: async () => (await end('COMMIT')).command === 'COMMIT',
        rollback: async () => void (await end('ROLLBACK')),
      };
    },
    close: () => pool.end(),
  };
}

/**
 * A promise-chained lock: PGlite is a single connection, so an open Data API transaction must
 * own it until it ends, and everything else queues behind.
 */
function createLock() {
  let tail: Promise<void> = Promise.resolve();
  return async (): Promise<() => void> => {
    let release!: () => void;
    const next = new Promise<void>((resolve) => (release = resolve));
    const previous = tail;
    tail = previous.then(() => next);
    await previous;
    return release;
  };
}

/**
 * Single PGlite connection. Statements outside a transaction wait while one is open (and
 * BeginTransaction waits for the previous transaction), so concurrent Data API transactions
 * run one after the other. Code using the same PGlite directly bypasses this lock.
 */
export function pgliteBackend(db: PGlite): DataApiBackend {
  const acquire = createLock();
  let identityParsers: Record<number, typeof raw> = {};
  let ready: Promise<void> | undefined;

  // PGlite has no "convert nothing" switch; override every parser and serializer it knows with
  // the identity (values are bound as ready-made Postgres text).
  const parsers = () => {
    const keys = new Set([...Object.keys(db.parsers), ...Object.keys(db.serializers)]);
    if (keys.size !== Object.keys(identityParsers).length) {
      identityParsers = Object.fromEntries([...keys].map((k) => [k, raw]));
    }
    return identityParsers;
  };

  const run = async (statement: BoundStatement): Promise<StatementResult> => {
    const identity = parsers();
    const options = { rowMode: 'array' as const, parsers: identity, serializers: identity };
    const res =
      statement.values.length > 0
        ? await db.query<(string | null)[]>(statement.text, statement.values, { ...options, paramTypes: statement.types })
        : (await db.exec(statement.text, options))[0]!;
    return {
      fields: res.fields,
      rows: res.rows as unknown as (string | null)[][],
      command: res.command ?? '',
      rowCount: res.rowCount ?? res.affectedRows ?? null,
    };
  };

  const locked = async <T>(fn: () => Promise<T>, keep = false): Promise<[T, () => void]> => {
    const release = await acquire();
    try {
      ready ??= db.exec(`SET TIME ZONE '${SESSION_TIME_ZONE}'`).then(() => undefined);
      await ready;
      const result = await fn();
      if (!keep) release();
      return [result, release];
    } catch (error) {
      release();
      throw error;
    }
  };

  return {
    execute: async (statement) => (await locked(() => run(statement)))[0],
    async begin() {
      const [, release] = await locked(() => db.exec('BEGIN'), true);
      let open = true;
      const end = async (sql: 'COMMIT' | 'ROLLBACK') => {
        if (!open) throw new Error('Transaction already ended');
        open = false;
        try {
          return (await db.exec(sql))[0];
        } finally {
          release();
        }
      };
      return {
        execute: run,
        commit: async () => (await end('COMMIT'))?.command === 'COMMIT',
        rollback: async () => void (await end('ROLLBACK')),
      };
    },
    async close() {},
  };
}
