/**
 * The typed configuration: the one reader of the environment. It is read once, validated, and a
 * bad value stops start-up with a message naming the variable (README, Configuration). Defaults
 * depend on where we run: a Lambda container or the CLI keeps a pool of one that lets the process
 * exit when idle.
 */
import { readFileSync } from 'node:fs';
import type { DatabaseConfig, DatabaseTimeouts } from '../db/config';
import { DEFAULT_PENDING_RUN_TIMEOUT_S } from './core/cleanup-defaults';
import type { LogLevel } from './log';

/** Where the configuration is for: its defaults differ (pool size, timeouts). */
export type Runtime = 'server' | 'lambda' | 'cli';

export interface AppConfig {
  database: DatabaseConfig;
  adminToken?: string;
  /** Signs pagination cursors; when unset the API derives its key from adminToken (functions/api/app.ts). */
  cursorSecret?: string;
  cache: { ttlMs: number; maxEntries: number; staleIfErrorMs: number };
  idempotencyTtlHours: number;
  dlqRetentionDays: number;
  runRetentionDays?: number;
  staleRunAfterSeconds: number;
  pendingRunTimeoutSeconds: number;
  logLevel: LogLevel;
  port: number;
  /** MIGRATIONS_DIR: the migrator Lambda's migrations folder, when not the one beside its bundle. */
  migrationsDir?: string;
  /** SCHEDULER: whether `npm start` ticks the schedules itself (functions/local/scheduler.ts). */
  localScheduler: boolean;
  /** The HTTP layer of `npm start` (functions/local/): what a slow or oversized client is allowed. */
  server: LocalServerConfig;
}

export interface LocalServerConfig {
  host: string;
  /** Time a client has to send the request line and headers (Node's headersTimeout). */
  headersTimeoutMs: number;
  /** Time a client has to send the whole request, body included (Node's requestTimeout). */
  requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open (Node's keepAliveTimeout). */
  keepAliveTimeoutMs: number;
  /** Open connections at most; further ones are dropped until some close (server.maxConnections). */
  maxConnections: number;
  /** Request line plus headers at most, in bytes; more is 431 (Node's maxHeaderSize). */
  maxHeaderBytes: number;
  /** On SIGTERM/SIGINT, how long in-flight requests have to finish before their connections are cut. */
  shutdownGraceMs: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export const DEFAULT_DATA_DIR = './.data/pipestore';

/**
 * The variables, each with its parser: a parser gets the value (never empty: unset and blank are
 * the same) and returns it typed, or throws Invalid with what was expected. Plain functions rather
 * than a zod schema on purpose: this runs during every Lambda cold start, where building and first
 * running a zod object of this size is a cost the cold start would pay (`npm run bench:cold-start`).
 */
class Invalid {
  constructor(readonly message: string) {}
}
const check =
  (ok: (value: string) => boolean, expected: string) =>
  (value: string): string => {
    if (!ok(value)) throw new Invalid(expected);
    return value;
  };
const oneOf = <const T extends readonly string[]>(values: T, expected: string) =>
  check((value) => (values as readonly string[]).includes(value), expected) as (value: string) => T[number];
const string = (value: string) => value;
const integer = (min: number, max = Number.MAX_SAFE_INTEGER) => {
  const expected = `expected an integer between ${min} and ${max}`;
  return (value: string): number => {
    const n = Number(value);
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new Invalid(expected);
    return n;
  };
};
const BOOLEANS: Record<string, boolean> = { true: true, false: false, '1': true, '0': false, yes: true, no: false };
const boolean = (value: string): boolean => {
  if (!Object.hasOwn(BOOLEANS, value)) throw new Invalid('expected true or false');
  return BOOLEANS[value]!;
};
const arn = (what: string) => check((value) => value.startsWith('arn:'), `expected ${what}`);
const url = (value: string): string => {
  const trimmed = value.trim();
  if (!URL.canParse(trimmed)) throw new Invalid('expected a URL');
  return trimmed.replace(/[\t\n\r]/g, '');
};

/** PEM text, or the path of a PEM file (read now: a missing file stops start-up, not the first query). */
const pem = (value: string): string => {
  // Secrets stores often hold PEM text with its newlines escaped.
  const text = value.includes('-----BEGIN') ? value.replace(/\\n/g, '\n') : readPem(value.trim());
  if (!text.includes('-----BEGIN CERTIFICATE-----')) throw new Invalid('expected PEM certificates (-----BEGIN CERTIFICATE-----…) or the path of a PEM file');
  return text;
};
function readPem(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    throw new Invalid(`expected PEM text or a readable PEM file, but ${path} cannot be read (${(err as NodeJS.ErrnoException).code})`);
  }
}

const VARIABLES = {
  DATABASE_URL: check((v) => /^(postgres|postgresql|pglite):/.test(v), 'expected postgres://…, postgresql://…, pglite:<dir> or pglite:memory'),
  DB_HOST: string,
  DB_PORT: integer(1, 65535),
  DB_NAME: string,
  DB_DATABASE: string,
  DB_USER: string,
  DB_USERNAME: string,
  DB_PASS: string,
  DB_PASSWORD: string,
  DB_SSL: oneOf(['true', 'false', '1', '0', 'no-verify'], 'expected true, false or no-verify'),
  DB_SSL_CA: pem,
  DB_POOL_MAX: integer(1, 1000),
  DB_ALLOW_EXIT_ON_IDLE: boolean,
  DB_CLUSTER_ARN: arn('an Aurora cluster ARN (arn:aws:rds:…)'),
  DB_SECRET_ARN: arn('a Secrets Manager ARN (arn:aws:secretsmanager:…)'),
  AWS_REGION: string,
  AWS_ENDPOINT_URL_RDS_DATA: url,
  ADMIN_TOKEN: check((v) => v.length >= 16, 'expected at least 16 characters'),
  CURSOR_SECRET: check((v) => v.length >= 32, 'expected at least 32 characters'),
  CACHE_TTL_MS: integer(0),
  // 0 turns the memory layer off: every read goes to Postgres (benchmarks, debugging).
  CACHE_MAX_ENTRIES: integer(0),
  CACHE_STALE_IF_ERROR_MS: integer(0),
  IDEMPOTENCY_TTL_HOURS: integer(1),
  DLQ_RETENTION_DAYS: integer(1),
  RUN_RETENTION_DAYS: integer(1),
  STALE_RUN_AFTER_S: integer(1),
  PENDING_RUN_TIMEOUT_S: integer(1),
  LOG_LEVEL: oneOf(['debug', 'info', 'warn', 'error', 'silent'], 'expected debug, info, warn, error or silent'),
  PORT: integer(0, 65535),
  // Bounds on every database wait (DatabaseTimeouts).
  DB_CONNECT_TIMEOUT_MS: integer(0, 600_000),
  DB_POOL_ACQUIRE_TIMEOUT_MS: integer(0, 600_000),
  DB_STATEMENT_TIMEOUT_MS: integer(0, 3_600_000),
  DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: integer(0, 3_600_000),
  DB_KEEPALIVE_MS: integer(0, 600_000),
  HOST: string,
  MIGRATIONS_DIR: string,
  // Another process (a deployed scheduler, another local server) may be the one that ticks.
  SCHEDULER: (value: string): boolean => {
    const v = value.trim().toLowerCase();
    if (v !== 'on' && v !== 'off') throw new Invalid('expected "on" or "off"');
    return v === 'on';
  },
  SERVER_HEADERS_TIMEOUT_MS: integer(100, 600_000),
  SERVER_REQUEST_TIMEOUT_MS: integer(100, 3_600_000),
  SERVER_KEEP_ALIVE_TIMEOUT_MS: integer(0, 600_000),
  SERVER_MAX_CONNECTIONS: integer(1, 1_000_000),
  SERVER_MAX_HEADER_BYTES: integer(1_024, 1_048_576),
  SHUTDOWN_GRACE_MS: integer(0, 600_000),
} satisfies Record<string, (value: string) => unknown>;

type Env = { -readonly [K in keyof typeof VARIABLES]?: ReturnType<(typeof VARIABLES)[K]> };

/** Every variable parsed, or a ConfigError listing every bad one. */
function parseEnvironment(env: Record<string, string | undefined>): Env {
  const parsed: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const [name, parse] of Object.entries(VARIABLES) as [string, (value: string) => unknown][]) {
    const value = env[name];
    if (value === undefined || value.trim() === '') continue;
    try {
      parsed[name] = parse(value);
    } catch (err) {
      if (!(err instanceof Invalid)) throw err;
      problems.push(`${name}: ${err.message} (got ${JSON.stringify(value)})`);
    }
  }
  if (problems.length) throw new ConfigError(problems);
  return parsed as Env;
}

export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  runtime: Runtime = env.AWS_LAMBDA_FUNCTION_NAME ? 'lambda' : 'server',
): AppConfig {
  const e = parseEnvironment(env);
  return {
    database: databaseConfig(e, runtime),
    adminToken: e.ADMIN_TOKEN,
    cursorSecret: e.CURSOR_SECRET,
    cache: {
      ttlMs: e.CACHE_TTL_MS ?? 5_000,
      maxEntries: e.CACHE_MAX_ENTRIES ?? 10_000,
      staleIfErrorMs: e.CACHE_STALE_IF_ERROR_MS ?? 300_000,
    },
    idempotencyTtlHours: e.IDEMPOTENCY_TTL_HOURS ?? 24,
    dlqRetentionDays: e.DLQ_RETENTION_DAYS ?? 30,
    runRetentionDays: e.RUN_RETENTION_DAYS,
    staleRunAfterSeconds: e.STALE_RUN_AFTER_S ?? 600,
    pendingRunTimeoutSeconds: e.PENDING_RUN_TIMEOUT_S ?? DEFAULT_PENDING_RUN_TIMEOUT_S,
    logLevel: e.LOG_LEVEL ?? 'info',
    port: e.PORT ?? 3000,
    migrationsDir: e.MIGRATIONS_DIR,
    localScheduler: e.SCHEDULER ?? true,
    server: serverConfig(e),
  };
}

/** The process environment with some variables replaced (the CLI's --database-url). */
export const environmentWith = (overrides: Record<string, string | undefined>): Record<string, string | undefined> => ({
  ...process.env,
  ...overrides,
});

/**
 * LOG_LEVEL alone, for the CLI: it logs only warnings unless told otherwise, long before (and
 * whether or not) a command loads the rest. A bad value is reported by that later loadConfig.
 */
export function logLevelSetting(fallback: LogLevel, env: Record<string, string | undefined> = process.env): LogLevel {
  try {
    const value = env.LOG_LEVEL;
    return value === undefined || value.trim() === '' ? fallback : VARIABLES.LOG_LEVEL(value);
  } catch (err) {
    if (err instanceof Invalid) return fallback;
    throw err;
  }
}

/**
 * Lambda-fit defaults: API Gateway gives up after 29 s and a client retries sooner, so a request
 * answers 503 within a few seconds rather than hang. The CLI runs migrations and transfers whose
 * statements may rightly take long: no statement bound there unless asked for.
 */
export function databaseTimeouts(e: Env, runtime: Runtime): DatabaseTimeouts {
  return {
    connectMs: e.DB_CONNECT_TIMEOUT_MS ?? 3_000,
    acquireMs: e.DB_POOL_ACQUIRE_TIMEOUT_MS ?? 5_000,
    statementMs: e.DB_STATEMENT_TIMEOUT_MS ?? (runtime === 'cli' ? 0 : 5_000),
    idleInTransactionMs: e.DB_IDLE_IN_TRANSACTION_TIMEOUT_MS ?? (runtime === 'cli' ? 0 : 10_000),
    keepAliveMs: e.DB_KEEPALIVE_MS ?? 10_000,
  };
}

/**
 * Defaults for an API whose requests are small (bodies up to 1 MiB) and quick: a client that
 * needs more than 10 s for its headers or 30 s for a whole request is broken or hostile, and each
 * such connection holds memory. SHUTDOWN_GRACE_MS stays under the 10 s `docker stop` waits before
 * SIGKILL, leaving time to close the database cleanly.
 */
function serverConfig(e: Env): LocalServerConfig {
  const server = {
    host: e.HOST ?? '127.0.0.1',
    headersTimeoutMs: e.SERVER_HEADERS_TIMEOUT_MS ?? 10_000,
    requestTimeoutMs: e.SERVER_REQUEST_TIMEOUT_MS ?? 30_000,
    keepAliveTimeoutMs: e.SERVER_KEEP_ALIVE_TIMEOUT_MS ?? 5_000,
    maxConnections: e.SERVER_MAX_CONNECTIONS ?? 1_000,
    maxHeaderBytes: e.SERVER_MAX_HEADER_BYTES ?? 16_384,
    shutdownGraceMs: e.SHUTDOWN_GRACE_MS ?? 8_000,
  };
  // Node refuses a headers timeout longer than the whole-request timeout: say so by name.
  if (server.headersTimeoutMs > server.requestTimeoutMs) {
    throw new ConfigError([`SERVER_HEADERS_TIMEOUT_MS: must not exceed SERVER_REQUEST_TIMEOUT_MS (${server.headersTimeoutMs} > ${server.requestTimeoutMs})`]);
  }
  return server;
}

function databaseConfig(e: Env, runtime: Runtime): DatabaseConfig {
  const database = e.DB_NAME ?? e.DB_DATABASE;
  if (e.DB_CLUSTER_ARN || e.DB_SECRET_ARN) {
    const missing = [
      !e.DB_CLUSTER_ARN && 'DB_CLUSTER_ARN: required with DB_SECRET_ARN',
      !e.DB_SECRET_ARN && 'DB_SECRET_ARN: required with DB_CLUSTER_ARN',
      !database && 'DB_NAME: required for the Data API (the database to use)',
    ].filter((p): p is string => Boolean(p));
    if (missing.length) throw new ConfigError(missing);
    return {
      driver: 'data-api',
      resourceArn: e.DB_CLUSTER_ARN!,
      secretArn: e.DB_SECRET_ARN!,
      database: database!,
      region: e.AWS_REGION,
      endpoint: e.AWS_ENDPOINT_URL_RDS_DATA,
      timeouts: databaseTimeouts(e, runtime),
    };
  }

  const url = e.DATABASE_URL;
  if (url?.startsWith('pglite:')) {
    const target = url.slice('pglite:'.length).replace(/^\/\//, '');
    return { driver: 'pglite', dataDir: target === 'memory' || target === '' ? null : target };
  }

  const pool = {
    poolMax: e.DB_POOL_MAX ?? (runtime === 'server' ? 10 : 1),
    allowExitOnIdle: e.DB_ALLOW_EXIT_ON_IDLE ?? runtime !== 'server',
    // Short: an idle Lambda container should not pin a server connection for long.
    idleTimeoutMillis: runtime === 'server' ? 30_000 : 5_000,
    timeouts: databaseTimeouts(e, runtime),
  };
  const ssl = e.DB_SSL === undefined ? undefined : e.DB_SSL === 'no-verify' ? { rejectUnauthorized: false as const } : e.DB_SSL === 'true' || e.DB_SSL === '1';
  const tls = { ssl, ...(e.DB_SSL_CA && { sslCa: e.DB_SSL_CA }) };
  // The URL itself is read where it is used (db/client.ts, db/connection-string.ts): its parser is
  // part of the node-postgres chunk, which a Data API cold start must not load.
  if (url) return { driver: 'pg', connectionString: url, ...tls, ...pool };

  if (e.DB_HOST || database || e.DB_USER || e.DB_USERNAME) {
    const missing = [
      !e.DB_HOST && 'DB_HOST: required with DB_NAME/DB_USER',
      !database && 'DB_NAME: required with DB_HOST',
      !(e.DB_USER ?? e.DB_USERNAME) && 'DB_USER: required with DB_HOST',
    ].filter((p): p is string => Boolean(p));
    if (missing.length) throw new ConfigError(missing);
    return {
      driver: 'pg',
      host: e.DB_HOST,
      port: e.DB_PORT ?? 5432,
      database,
      user: e.DB_USER ?? e.DB_USERNAME,
      password: e.DB_PASS ?? e.DB_PASSWORD,
      ...tls,
      ...pool,
    };
  }
  return { driver: 'pglite', dataDir: DEFAULT_DATA_DIR };
}
