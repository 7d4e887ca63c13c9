/**
 * `npm start` as a subprocess (the same command: `node --import tsx functions/local.ts`, TZ=UTC)
 * on a free loopback port: what a container runtime starts and signals.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const LOCAL_ADMIN_TOKEN = 'local-server-admin-token-0123';
/** Start-up (tsx, PGlite, migrations) on a busy two-core machine; for the hooks that start one. */
export const START_TIMEOUT_MS = 150_000;

export interface LocalProcess {
  child: ChildProcess;
  baseUrl: string;
  port: number;
  /** Everything the process wrote so far, both streams. */
  output(): string;
  /** Sends the signal and resolves with the exit code once the process is gone. */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  exited: Promise<number | null>;
}

/**
 * `env` overrides the defaults: an in-memory PGlite, port 0, log level info (the listening line is
 * how the port is learnt), a fixed admin token.
 */
export function startLocalServer(env: Record<string, string> = {}, { startTimeoutMs = START_TIMEOUT_MS - 10_000 } = {}): Promise<LocalProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'functions/local.ts'], {
    cwd: REPO_ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: {
      ...process.env,
      DATABASE_URL: 'pglite:memory',
      PORT: '0',
      LOG_LEVEL: 'info',
      ADMIN_TOKEN: LOCAL_ADMIN_TOKEN,
      ...env,
      TZ: 'UTC',
    },
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`npm start did not listen within ${startTimeoutMs} ms:\n${output}`));
    }, startTimeoutMs);
    const onData = (chunk: string) => {
      output += chunk;
      const url = /"msg":"pipestore listening","url":"(http:\/\/[^"]+)"/.exec(output)?.[1];
      if (!url) return;
      clearTimeout(timer);
      child.stdout!.off('data', onData).on('data', (more: string) => (output += more));
      resolve({
        child,
        baseUrl: url,
        port: Number(new URL(url).port),
        output: () => output,
        exited,
        stop: (signal = 'SIGTERM') => {
          if (child.exitCode === null) child.kill(signal);
          return exited;
        },
      });
    };
    child.stdout!.setEncoding('utf8').on('data', onData);
    child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`npm start exited with ${code} before listening:\n${output}`));
    });
  });
}
