/** How the Lambda entries read their configuration: SST links first, then the environment. */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../functions/config';
import { linkedEnvironment, loadLambdaConfig, readLinks } from '../../functions/handlers/lambda-config';
import { findMigrationsFolder } from '../../functions/handlers/migrations-folder';

const aurora = {
  clusterArn: 'arn:aws:rds:eu-west-1:123456789012:cluster:pipestore-production-databasecluster',
  secretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:pipestore-production-DatabaseSecret-AbCdEf',
  database: 'pipestore',
};

describe('Lambda configuration', () => {
  it('reads no links, without throwing, when the process was not started by SST', () => {
    expect(readLinks()).toEqual({ Database: undefined, DatabaseUrl: undefined, AdminToken: undefined });
  });

  it('a linked Aurora cluster selects the Data API, whatever the environment says', () => {
    const config = loadLambdaConfig(
      { DATABASE_URL: 'postgres://elsewhere/db', AWS_REGION: 'eu-west-1' },
      { Database: aurora, AdminToken: { value: 'linked-admin-token-123' } },
    );
    expect(config.database).toEqual({
      driver: 'data-api',
      resourceArn: aurora.clusterArn,
      secretArn: aurora.secretArn,
      database: 'pipestore',
      region: 'eu-west-1',
      endpoint: undefined,
      timeouts: expect.objectContaining({ statementMs: 5_000 }),
    });
    expect(config.adminToken).toBe('linked-admin-token-123');
  });

  it('PIPESTORE_DB_PROXY (set by infra/ on the functions): node-postgres to the RDS Proxy SST links, TLS verified', () => {
    const proxied = {
      ...aurora,
      host: 'pipestore-production-databaseproxy.proxy-abc.eu-west-1.rds.amazonaws.com',
      port: 5432,
      username: 'postgres',
      password: 'linked-master-pw',
    };
    const config = loadLambdaConfig({ PIPESTORE_DB_PROXY: 'true', AWS_REGION: 'eu-west-1' }, { Database: proxied });
    expect(config.database).toMatchObject({
      driver: 'pg',
      host: proxied.host,
      port: 5432,
      database: 'pipestore',
      user: 'postgres',
      password: 'linked-master-pw',
      ssl: true,
      poolMax: 1,
      allowExitOnIdle: true,
    });
    // Without the setting the same link is the Data API, as before.
    expect(loadLambdaConfig({}, { Database: proxied }).database).toMatchObject({ driver: 'data-api' });
  });

  it('a linked DatabaseUrl or DATABASE_URL selects node-postgres with one connection that lets the process exit', () => {
    for (const [env, links] of [
      [{}, { DatabaseUrl: { value: 'postgres://app@db.example.com/pipestore?sslmode=require' } }],
      [{ DATABASE_URL: 'postgres://app@db.example.com/pipestore?sslmode=require' }, {}],
    ] as const) {
      expect(loadLambdaConfig(env, links).database).toMatchObject({
        driver: 'pg',
        connectionString: 'postgres://app@db.example.com/pipestore?sslmode=require',
        poolMax: 1,
        allowExitOnIdle: true,
      });
    }
  });

  it('falls back to the Data API variables, and links override only what they stand for', () => {
    const env = { DB_CLUSTER_ARN: aurora.clusterArn, DB_SECRET_ARN: aurora.secretArn, DB_NAME: 'pipestore', ADMIN_TOKEN: 'env-admin-token-12345' };
    expect(loadLambdaConfig(env, {})).toMatchObject({ database: { driver: 'data-api', database: 'pipestore' }, adminToken: 'env-admin-token-12345' });
    expect(linkedEnvironment(env, { AdminToken: { value: 'linked-admin-token-123' } })).toEqual({ ...env, ADMIN_TOKEN: 'linked-admin-token-123' });
  });

  it('refuses to run without a database (the embedded one is not in the bundle) and names bad variables', () => {
    expect(() => loadLambdaConfig({}, {})).toThrow(ConfigError);
    expect(() => loadLambdaConfig({}, {})).toThrow(/no database configured.*DB_CLUSTER_ARN.*DATABASE_URL/);
    expect(() => loadLambdaConfig({ DATABASE_URL: 'pglite:memory' }, {})).toThrow(/no database configured/);
    expect(() => loadLambdaConfig({ DATABASE_URL: 'mysql://x' }, {})).toThrow(/DATABASE_URL/);
    expect(() => loadLambdaConfig({ DATABASE_URL: 'postgres://x/y', DB_POOL_MAX: 'two' }, {})).toThrow(/DB_POOL_MAX/);
  });
});

describe('the migrator finds its migrations', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pipestore-migrations-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const journal = (folder: string) => {
    mkdirSync(join(folder, 'meta'), { recursive: true });
    writeFileSync(join(folder, 'meta', '_journal.json'), '{"entries":[]}');
    return folder;
  };

  it('beside the bundle (SST copyFiles, npm run build), or where MIGRATIONS_DIR says', () => {
    const shipped = journal(join(dir, 'fn', 'migrations'));
    const bundle = pathToFileURL(join(dir, 'fn', 'bundle.mjs')).href;
    expect(findMigrationsFolder(undefined, bundle)).toBe(shipped);
    const elsewhere = journal(join(dir, 'elsewhere'));
    expect(findMigrationsFolder(elsewhere, bundle)).toBe(elsewhere);
    expect(() => findMigrationsFolder(join(dir, 'nothing'), bundle)).toThrow(/MIGRATIONS_DIR/);
  });

  it('from the repository, unbundled: db/migrations', () => {
    const handler = pathToFileURL(join(import.meta.dirname, '../../functions/handlers/migrate.ts')).href;
    expect(findMigrationsFolder(undefined, handler)).toBe(join(import.meta.dirname, '../../db/migrations'));
    expect(() => findMigrationsFolder(undefined, pathToFileURL(join(dir, 'empty', 'x.mjs')).href)).toThrow(/no migrations folder/);
  });
});
