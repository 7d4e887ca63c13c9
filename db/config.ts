import { z } from 'zod';

/**
 * Configuration is read once from the environment, validated, and a bad value stops start-up
 * with a message naming the variable (DESIGN §2). Defaults depend on where we run: a Lambda
 * container or the CLI keeps a pool of one that lets the process exit when idle.
 */
export type Runtime = 'server' | 'lambda' | 'cli';

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
      ssl?: boolean | { rejectUnauthorized: false };
      poolMax: number;
      allowExitOnIdle: boolean;
      idleTimeoutMillis: number;
    }
  | {
      driver: 'data-api';
      resourceArn: string;
      secretArn: string;
      database: string;
      region?: string;
      endpoint?: string;
    };

export interface AppConfig {
  database: DatabaseConfig;
  adminToken?: string;
  cache: { ttlMs: number; maxEntries: number; staleIfErrorMs: number };
  idempotencyTtlHours: number;
  dlqRetentionDays: number;
  runRetentionDays?: number;
  staleRunAfterSeconds: number;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  port: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

export const DEFAULT_DATA_DIR = './.data/pipestore';

const emptyToUndefined = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const optionalString = z.preprocess(emptyToUndefined, z.string().optional());
const integer = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.preprocess(
    emptyToUndefined,
    z.coerce
      .number({ error: `expected an integer between ${min} and ${max}` })
      .int({ error: `expected an integer between ${min} and ${max}` })
      .min(min, { error: `expected an integer between ${min} and ${max}` })
      .max(max, { error: `expected an integer between ${min} and ${max}` })
      .optional(),
  );
const boolean = z.preprocess(
  emptyToUndefined,
  z
    .enum(['true', 'false', '1', '0', 'yes', 'no'], { error: 'expected true or false' })
    .transform((v) => v === 'true' || v === '1' || v === 'yes')
    .optional(),
);

const envSchema = z.object({
  DATABASE_URL: z.preprocess(
    emptyToUndefined,
    z
      .string()
      .refine((v) => /^(postgres|postgresql|pglite):/.test(v), {
        error: 'expected postgres://…, postgresql://…, pglite:<dir> or pglite:memory',
      })
      .optional(),
  ),
  DB_HOST: optionalString,
  DB_PORT: integer(1, 65535),
  DB_NAME: optionalString,
  DB_DATABASE: optionalString,
  DB_USER: optionalString,
  DB_USERNAME: optionalString,
  DB_PASS: optionalString,
  DB_PASSWORD: optionalString,
  DB_SSL: z.preprocess(
    emptyToUndefined,
    z.enum(['true', 'false', '1', '0', 'no-verify'], { error: 'expected true, false or no-verify' }).optional(),
  ),
  DB_POOL_MAX: integer(1, 1000),
  DB_ALLOW_EXIT_ON_IDLE: boolean,
  DB_CLUSTER_ARN: z.preprocess(
    emptyToUndefined,
    z.string().startsWith('arn:', { error: 'expected an Aurora cluster ARN (arn:aws:rds:…)' }).optional(),
  ),
  DB_SECRET_ARN: z.preprocess(
    emptyToUndefined,
    z.string().startsWith('arn:', { error: 'expected a Secrets Manager ARN (arn:aws:secretsmanager:…)' }).optional(),
  ),
  AWS_REGION: optionalString,
  AWS_ENDPOINT_URL_RDS_DATA: z.preprocess(emptyToUndefined, z.url({ error: 'expected a URL' }).optional()),
  ADMIN_TOKEN: z.preprocess(
    emptyToUndefined,
    z.string().min(16, { error: 'expected at least 16 characters' }).optional(),
  ),
  CACHE_TTL_MS: integer(0),
  // 0 turns the memory layer off: every read goes to Postgres (benchmarks, debugging).
  CACHE_MAX_ENTRIES: integer(0),
  CACHE_STALE_IF_ERROR_MS: integer(0),
  IDEMPOTENCY_TTL_HOURS: integer(1),
  DLQ_RETENTION_DAYS: integer(1),
  RUN_RETENTION_DAYS: integer(1),
  STALE_RUN_AFTER_S: integer(1),
  LOG_LEVEL: z.preprocess(
    emptyToUndefined,
    z.enum(['debug', 'info', 'warn', 'error', 'silent'], { error: 'expected debug, info, warn, error or silent' }).optional(),
  ),
  PORT: integer(0, 65535),
});

type Env = z.infer<typeof envSchema>;

export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  runtime: Runtime = env.AWS_LAMBDA_FUNCTION_NAME ? 'lambda' : 'server',
): AppConfig {
  const parsed = envSchema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => {
        const name = String(issue.path[0]);
        return `${name}: ${issue.message} (got ${JSON.stringify(env[name])})`;
      }),
    );
  }
  const e = parsed.data;
  return {
    database: databaseConfig(e, runtime),
    adminToken: e.ADMIN_TOKEN,
    cache: {
      ttlMs: e.CACHE_TTL_MS ?? 5_000,
      maxEntries: e.CACHE_MAX_ENTRIES ?? 10_000,
      staleIfErrorMs: e.CACHE_STALE_IF_ERROR_MS ?? 300_000,
    },
    idempotencyTtlHours: e.IDEMPOTENCY_TTL_HOURS ?? 24,
    dlqRetentionDays: e.DLQ_RETENTION_DAYS ?? 30,
    runRetentionDays: e.RUN_RETENTION_DAYS,
    staleRunAfterSeconds: e.STALE_RUN_AFTER_S ?? 600,
    logLevel: e.LOG_LEVEL ?? 'info',
    port: e.PORT ?? 3000,
  };
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
  };
  const ssl = e.DB_SSL === undefined ? undefined : e.DB_SSL === 'no-verify' ? { rejectUnauthorized: false as const } : e.DB_SSL === 'true' || e.DB_SSL === '1';
  if (url) return { driver: 'pg', connectionString: url, ssl, ...pool };

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
      ssl,
      ...pool,
    };
  }
  return { driver: 'pglite', dataDir: DEFAULT_DATA_DIR };
}
