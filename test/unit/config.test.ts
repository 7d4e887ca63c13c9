import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_DATA_DIR, loadConfig, logLevelSetting } from '../../functions/config';

const fails = (env: Record<string, string>) => {
  try {
    loadConfig(env, 'server');
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as ConfigError).message;
  }
  throw new Error('expected loadConfig to fail');
};

describe('configuration', () => {
  it('defaults to the embedded file store and documented defaults', () => {
    const config = loadConfig({}, 'server');
    expect(config.database).toEqual({ driver: 'pglite', dataDir: DEFAULT_DATA_DIR });
    expect(config).toMatchObject({
      port: 3000,
      logLevel: 'info',
      idempotencyTtlHours: 24,
      dlqRetentionDays: 30,
      runRetentionDays: undefined,
      staleRunAfterSeconds: 600,
      cache: { ttlMs: 5000, maxEntries: 10000, staleIfErrorMs: 300000 },
    });
  });

  it('selects in-memory or a given directory for PGlite', () => {
    expect(loadConfig({ DATABASE_URL: 'pglite:memory' }).database).toEqual({ driver: 'pglite', dataDir: null });
    expect(loadConfig({ DATABASE_URL: 'pglite://./tmp/db' }).database).toEqual({ driver: 'pglite', dataDir: './tmp/db' });
  });

  it('selects node-postgres from DATABASE_URL with a server pool, or a Lambda/CLI pool of one', () => {
    const url = 'postgres://u:p@db.example:5432/app?sslmode=require';
    expect(loadConfig({ DATABASE_URL: url }, 'server').database).toMatchObject({
      driver: 'pg',
      connectionString: url,
      poolMax: 10,
      allowExitOnIdle: false,
    });
    expect(loadConfig({ DATABASE_URL: url }, 'lambda').database).toMatchObject({ poolMax: 1, allowExitOnIdle: true });
    expect(loadConfig({ DATABASE_URL: url }, 'cli').database).toMatchObject({ poolMax: 1, allowExitOnIdle: true });
    expect(loadConfig({ DATABASE_URL: url, AWS_LAMBDA_FUNCTION_NAME: 'api' }).database).toMatchObject({ poolMax: 1 });
    expect(loadConfig({ DATABASE_URL: url, DB_POOL_MAX: '3', DB_ALLOW_EXIT_ON_IDLE: 'true' }).database).toMatchObject({
      poolMax: 3,
      allowExitOnIdle: true,
    });
  });

  it('accepts a unix-socket host in DATABASE_URL', () => {
    const url = 'postgresql://postgres@/test?host=/var/run/postgresql';
    expect(loadConfig({ DATABASE_URL: url }).database).toMatchObject({ driver: 'pg', connectionString: url });
  });

  it('builds a node-postgres config from DB_* variables and their aliases', () => {
    expect(loadConfig({ DB_HOST: 'h', DB_DATABASE: 'd', DB_USERNAME: 'u', DB_PASSWORD: 'p', DB_PORT: '6543', DB_SSL: 'true' }).database).toMatchObject({
      driver: 'pg',
      host: 'h',
      database: 'd',
      user: 'u',
      password: 'p',
      port: 6543,
      ssl: true,
    });
    expect(loadConfig({ DB_HOST: 'h', DB_NAME: 'd', DB_USER: 'u', DB_PASS: 'p', DB_SSL: 'no-verify' }).database).toMatchObject({
      host: 'h',
      database: 'd',
      user: 'u',
      password: 'p',
      port: 5432,
      ssl: { rejectUnauthorized: false },
    });
  });

  it('selects the Data API from the cluster ARN, secret ARN and database', () => {
    expect(
      loadConfig({
        DB_CLUSTER_ARN: 'arn:aws:rds:eu-west-1:1:cluster:c',
        DB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:1:secret:s',
        DB_NAME: 'pipestore',
        AWS_REGION: 'eu-west-1',
      }).database,
    ).toEqual({
      driver: 'data-api',
      resourceArn: 'arn:aws:rds:eu-west-1:1:cluster:c',
      secretArn: 'arn:aws:secretsmanager:eu-west-1:1:secret:s',
      database: 'pipestore',
      region: 'eu-west-1',
      endpoint: undefined,
      timeouts: { connectMs: 3_000, acquireMs: 5_000, statementMs: 5_000, idleInTransactionMs: 10_000, keepAliveMs: 10_000 },
    });
  });

  it('bounds every database wait: Lambda-fit defaults, none on statements for the CLI, each variable read', () => {
    const url = 'postgres://u@h/d';
    expect(loadConfig({ DATABASE_URL: url }, 'lambda').database).toMatchObject({
      timeouts: { connectMs: 3_000, acquireMs: 5_000, statementMs: 5_000, idleInTransactionMs: 10_000, keepAliveMs: 10_000 },
    });
    expect(loadConfig({ DATABASE_URL: url }, 'cli').database).toMatchObject({ timeouts: { statementMs: 0, idleInTransactionMs: 0 } });
    const env = {
      DATABASE_URL: url,
      DB_CONNECT_TIMEOUT_MS: '100',
      DB_POOL_ACQUIRE_TIMEOUT_MS: '200',
      DB_STATEMENT_TIMEOUT_MS: '300',
      DB_IDLE_IN_TRANSACTION_TIMEOUT_MS: '400',
      DB_KEEPALIVE_MS: '0',
    };
    expect(loadConfig(env, 'server').database).toMatchObject({
      timeouts: { connectMs: 100, acquireMs: 200, statementMs: 300, idleInTransactionMs: 400, keepAliveMs: 0 },
    });
    expect(() => loadConfig({ DB_STATEMENT_TIMEOUT_MS: '5s' })).toThrow(/DB_STATEMENT_TIMEOUT_MS/);
  });

  it('reads every tuning variable', () => {
    const config = loadConfig({
      ADMIN_TOKEN: 'a'.repeat(32),
      CACHE_TTL_MS: '100',
      CACHE_MAX_ENTRIES: '5',
      CACHE_STALE_IF_ERROR_MS: '0',
      IDEMPOTENCY_TTL_HOURS: '2',
      DLQ_RETENTION_DAYS: '7',
      RUN_RETENTION_DAYS: '90',
      STALE_RUN_AFTER_S: '30',
      LOG_LEVEL: 'debug',
      PORT: '8080',
      MIGRATIONS_DIR: '/opt/migrations',
      SCHEDULER: 'off',
    });
    expect(config).toMatchObject({
      adminToken: 'a'.repeat(32),
      cache: { ttlMs: 100, maxEntries: 5, staleIfErrorMs: 0 },
      idempotencyTtlHours: 2,
      dlqRetentionDays: 7,
      runRetentionDays: 90,
      staleRunAfterSeconds: 30,
      logLevel: 'debug',
      port: 8080,
      migrationsDir: '/opt/migrations',
      localScheduler: false,
    });
  });

  it('gives the CLI its own default log level, and leaves a bad one to the full check', () => {
    expect(logLevelSetting('warn', {})).toBe('warn');
    expect(logLevelSetting('warn', { LOG_LEVEL: 'debug' })).toBe('debug');
    expect(logLevelSetting('warn', { LOG_LEVEL: 'loud' })).toBe('warn');
  });

  it.each([
    [{ DB_POOL_MAX: 'lots' }, 'DB_POOL_MAX: expected an integer between 1 and 1000 (got "lots")'],
    [{ DB_POOL_MAX: '0' }, 'DB_POOL_MAX'],
    [{ PORT: '70000' }, 'PORT: expected an integer between 0 and 65535'],
    [{ DB_ALLOW_EXIT_ON_IDLE: 'maybe' }, 'DB_ALLOW_EXIT_ON_IDLE: expected true or false'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL: expected postgres://'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL: expected debug, info, warn, error or silent'],
    [{ CURSOR_SECRET: 'too-short' }, 'CURSOR_SECRET: expected at least 32 characters'],
    [{ ADMIN_TOKEN: 'short' }, 'ADMIN_TOKEN: expected at least 16 characters'],
    [{ CACHE_TTL_MS: '1.5' }, 'CACHE_TTL_MS'],
    [{ DB_CLUSTER_ARN: 'arn:aws:rds:x' }, 'DB_SECRET_ARN: required with DB_CLUSTER_ARN'],
    [{ DB_CLUSTER_ARN: 'cluster-1' }, 'DB_CLUSTER_ARN: expected an Aurora cluster ARN'],
    [{ DB_HOST: 'h' }, 'DB_NAME: required with DB_HOST'],
  ])('rejects %j naming the variable', (env, message) => {
    expect(fails(env)).toContain(message);
  });

  it('reports every bad variable at once', () => {
    const message = fails({ PORT: 'x', DB_POOL_MAX: 'y' });
    expect(message).toContain('PORT');
    expect(message).toContain('DB_POOL_MAX');
  });
});
