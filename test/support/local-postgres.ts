/**
 * A PostgreSQL server of the test's own (initdb + pg_ctl as the postgres user, in a temporary
 * directory, on a free port), for what the shared server cannot show: TLS with a self-signed
 * certificate, password authentication, a Unix socket, a low max_connections. Stopped and removed
 * by `stop()`.
 */
import { execFile } from 'node:child_process';
import { chmodSync, chownSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface LocalPostgres {
  port: number;
  /** The socket directory (`?host=` of a socket URL). */
  socketDir: string;
  password: string;
  /** The self-signed certificate the server presents (CN and SAN localhost, 127.0.0.1), PEM. */
  certificateFile: string;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** Root runs the server tools as `postgres` (initdb refuses root); anyone else runs them directly. */
const asPostgres = (command: string, args: string[]) =>
  process.getuid?.() === 0 ? run('runuser', ['-u', 'postgres', '--', command, ...args]) : run(command, args);

export interface LocalPostgresOptions {
  /** The server's max_connections (3 of them reserved for superusers, PostgreSQL's default). */
  maxConnections?: number;
}

export async function startLocalPostgres({ maxConnections = 20 }: LocalPostgresOptions = {}): Promise<LocalPostgres> {
  const dir = mkdtempSync(join(tmpdir(), 'pipestore-pg-'));
  const password = 'local-secret-pw';
  const certificateFile = join(dir, 'server.crt');
  const keyFile = join(dir, 'server.key');
  await run('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '2',
    '-subj',
    '/CN=localhost',
    '-addext',
    'subjectAltName=DNS:localhost,IP:127.0.0.1',
    '-keyout',
    keyFile,
    '-out',
    certificateFile,
  ]);
  chmodSync(keyFile, 0o600);
  writeFileSync(join(dir, 'pwfile'), `${password}\n`);
  if (process.getuid?.() === 0) {
    const { stdout } = await run('id', ['-u', 'postgres']);
    const [uid, gid] = [Number(stdout.trim()), Number((await run('id', ['-g', 'postgres'])).stdout.trim())];
    for (const file of [dir, keyFile, certificateFile, join(dir, 'pwfile')]) chownSync(file, uid, gid);
  }
  const data = join(dir, 'data');
  await asPostgres('initdb', [
    '-D',
    data,
    '-U',
    'postgres',
    '--auth-local=trust',
    '--auth-host=scram-sha-256',
    `--pwfile=${join(dir, 'pwfile')}`,
    '-E',
    'UTF8',
    '--no-sync',
  ]);
  const port = await freePort();
  const options = [
    `-p ${port}`,
    `-k ${dir}`,
    "-c listen_addresses='127.0.0.1'",
    '-c ssl=on',
    `-c ssl_cert_file=${certificateFile}`,
    `-c ssl_key_file=${keyFile}`,
    '-c fsync=off',
    `-c max_connections=${maxConnections}`,
  ].join(' ');
  // -w waits until it accepts connections; a loaded machine can take a while.
  await asPostgres('pg_ctl', ['-D', data, '-l', join(dir, 'server.log'), '-w', '-t', '120', '-o', options, 'start']);
  return {
    port,
    socketDir: dir,
    password,
    certificateFile,
    async stop() {
      await asPostgres('pg_ctl', ['-D', data, '-m', 'immediate', '-w', 'stop']).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
