/**
 * Connection strings as users write them, and every way a connection fails, as the CLI reports
 * them: one line naming the cause and the setting to fix, exit 4, no stack trace. Against a
 * PostgreSQL of the test's own with TLS on (a self-signed certificate), password authentication
 * over TCP and a Unix socket.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startLocalPostgres, type LocalPostgres } from '../support/local-postgres';
import { cliInProcess } from './support/cli-in-process';

// initdb, a certificate and a server start: seconds idle, a minute or more on a loaded machine.
describe('pipestore and the connection it is given', { timeout: 60_000 }, () => {
  let pg: LocalPostgres;
  let tcp: string;
  beforeAll(async () => {
    pg = await startLocalPostgres();
    tcp = `postgres://postgres:${pg.password}@localhost:${pg.port}/postgres`;
  }, 240_000);
  afterAll(() => pg?.stop(), 60_000);

  const check = (url: string, env: Record<string, string> = {}) => cliInProcess(['db', 'check', '--json', '--database-url', url], env);
  const failure = async (url: string, env: Record<string, string> = {}) => {
    const result = await cliInProcess(['db', 'check', '--database-url', url], env);
    expect(result.stderr.split('\n').filter(Boolean), result.stderr).toHaveLength(1);
    expect(result.stderr).not.toMatch(/\n\s+at /);
    return result;
  };

  it('verifies the server certificate against DB_SSL_CA, given as a path or as PEM text', async () => {
    expect(await check(tcp, { DB_SSL: 'true', DB_SSL_CA: pg.certificateFile })).toMatchObject({ code: 0 });
    const escaped = readFileSync(pg.certificateFile, 'utf8').replace(/\n/g, '\\n');
    expect(await check(tcp, { DB_SSL: 'true', DB_SSL_CA: escaped })).toMatchObject({ code: 0 });
    // A CA alone turns TLS on; sslmode in the URL does not override it.
    expect(await check(`${tcp}?sslmode=require`, { DB_SSL_CA: pg.certificateFile })).toMatchObject({ code: 0 });
    expect(await check(tcp, { DB_SSL: 'no-verify' })).toMatchObject({ code: 0 });
  });

  it('an unverifiable certificate: exit 4 pointing at DB_SSL_CA and the RDS bundle', async () => {
    const result = await failure(tcp, { DB_SSL: 'true' });
    expect(result.code).toBe(4);
    expect(result.stderr).toMatch(
      /^pipestore: TLS to postgres localhost:\d+\/postgres failed: .*self[- ]signed.*DB_SSL_CA.*global-bundle\.pem.*DB_SSL=no-verify[^\n]*\n$/,
    );
  });

  it('a bad password, a missing database, a refused port: each named, exit 4', async () => {
    const password = await failure(`postgres://postgres:wrong@127.0.0.1:${pg.port}/postgres`);
    expect(password.code).toBe(4);
    expect(password.stderr).toMatch(/password authentication failed for user "postgres".*DB_PASS/);

    const database = await failure(`postgres://postgres:${pg.password}@127.0.0.1:${pg.port}/nope`);
    expect(database.code).toBe(4);
    expect(database.stderr).toMatch(/database "nope" does not exist.*DB_NAME/);

    const refused = await failure(`postgres://postgres@127.0.0.1:${await freePort()}/postgres`);
    expect(refused.code).toBe(4);
    expect(refused.stderr).toMatch(/connection refused by postgres 127\.0\.0\.1:\d+\/postgres.*DATABASE_URL/);
  });

  it('reads Unix-socket URLs with the same parser as the server', async () => {
    const socket = await check(`postgres://postgres@/postgres?host=${pg.socketDir}&port=${pg.port}`);
    expect(socket.code).toBe(0);
    expect(JSON.parse(socket.stdout).target).toBe(`postgres socket ${pg.socketDir} port ${pg.port}/postgres`);

    // A Cloud SQL socket path (colons included) that is not there: named, not "Invalid URL".
    const cloudSql = await failure('postgres://u:p@/db?host=/cloudsql/p:r:i');
    expect(cloudSql.code).toBe(4);
    expect(cloudSql.stderr).toMatch(/^pipestore: no PostgreSQL socket at \/cloudsql\/p:r:i\/\.s\.PGSQL\.5432: .*\?host=/);
  });

  it('a DB_SSL_CA that cannot be read is bad configuration (exit 3) naming the variable', async () => {
    const result = await cliInProcess(['db', 'check', '--database-url', tcp], { DB_SSL_CA: '/nonexistent/ca.pem' });
    expect(result.code).toBe(3);
    expect(result.stderr).toContain('DB_SSL_CA');
    expect(result.stderr).toContain('ENOENT');
  });
});
