/**
 * Time from spawning `npm start` to the first 200 from GET /health, on the embedded store:
 * "fresh" starts on an empty data directory (migrations run), "existing" restarts on the same
 * directory after the first process was stopped with SIGINT and exited cleanly.
 *
 *   npm run bench:startup                   # 5 runs
 *   npm run bench:startup -- --runs 10 --json
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({ options: { runs: { type: 'string', default: '5' }, json: { type: 'boolean', default: false } } });
const runs = Number(args.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error(`--runs: expected a positive integer, got ${args.runs}`);

const root = resolve(import.meta.dirname, '../..');
const startScript: string = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).scripts.start;
// Run what `npm start` runs, read from package.json so the two cannot drift, but without npm or
// sh in between: npm's own start-up is not pipestore's, and sh (dash) does not exec the command
// and dies on SIGINT itself, so its exit status would hide whether the server shut down cleanly.
if (/['"`$;&|<>()\\]/.test(startScript)) throw new Error(`scripts.start needs a shell, not supported: ${startScript}`);
const words = startScript.trim().split(/\s+/);
const scriptEnv: Record<string, string> = {};
while (/^[A-Za-z_][A-Za-z0-9_]*=/.test(words[0] ?? '')) {
  const [name, ...value] = words.shift()!.split('=');
  scriptEnv[name!] = value.join('=');
}
const [name, ...commandArgs] = words;
if (!name) throw new Error(`scripts.start has no command: ${startScript}`);
const localBin = join(root, 'node_modules/.bin', name);
const command = existsSync(localBin) ? localBin : name;
const POLL_MS = 20;
const READY_TIMEOUT_MS = 60_000;
const EXIT_TIMEOUT_MS = 15_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  await new Promise((r) => server.close(r));
  return port;
}

// agent: false sends `Connection: close`, so no keep-alive socket delays the server's close().
const healthStatus = (port: number) =>
  new Promise<number>((done) => {
    const req = get({ host: '127.0.0.1', port, path: '/health', agent: false, timeout: 2_000 }, (res) => {
      res.resume();
      done(res.statusCode ?? 0);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => done(0));
  });

const groupAlive = (pgid: number) => {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch {
    return false;
  }
};

let current: ChildProcess | undefined;

async function start(dataDir: string): Promise<{ child: ChildProcess; readyMs: number; output: () => string }> {
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env };
  // Anything that would point the server at another database or interface would skew the result.
  for (const name of Object.keys(env)) if (name.startsWith('DB_')) delete env[name];
  Object.assign(env, {
    DATABASE_URL: `pglite:${dataDir}`,
    PORT: String(port),
    HOST: '127.0.0.1',
    LOG_LEVEL: 'warn',
    PATH: `${join(root, 'node_modules/.bin')}${delimiter}${env.PATH ?? ''}`,
    ...scriptEnv,
  });
  let output = '';
  const started = performance.now();
  // detached: its own process group, so tsx and the node process it spawns are signalled together,
  // as a Ctrl-C in a terminal would.
  const child = spawn(command, commandArgs, { cwd: root, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  current = child;
  child.stdout!.on('data', (d) => (output += d));
  child.stderr!.on('data', (d) => (output += d));
  let exited = false;
  child.once('exit', () => (exited = true));
  while (performance.now() - started < READY_TIMEOUT_MS) {
    if (exited) throw new Error(`server exited before it was healthy:\n${output}`);
    if ((await healthStatus(port)) === 200) return { child, readyMs: performance.now() - started, output: () => output };
    await sleep(POLL_MS);
  }
  throw new Error(`no 200 from /health within ${READY_TIMEOUT_MS} ms:\n${output}`);
}

/** Processes whose parent is `pid` (Linux /proc; empty elsewhere). */
function childrenOf(pid: number): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
  return entries.flatMap((e) => {
    try {
      // "pid (comm) state ppid …": comm may contain spaces and parentheses, so split after the last ')'.
      const stat = readFileSync(`/proc/${e}/stat`, 'utf8');
      return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid ? [Number(e)] : [];
    } catch {
      return [];
    }
  });
}

/**
 * SIGINT to the server, then wait until every process in the group is gone. The server is the
 * node process tsx spawned, and it is signalled directly: on SIGINT tsx waits only 30 ms for that
 * node process to acknowledge the signal, re-sends it, waits 30 ms more and then SIGKILLs it,
 * which on a busy machine lands in the middle of PGlite's close (seen here as exit 130).
 */
async function stop(child: ChildProcess, output: () => string): Promise<void> {
  const pgid = child.pid!;
  const exit = new Promise<number | null>((r) => (child.exitCode !== null ? r(child.exitCode) : child.once('exit', (code) => r(code))));
  // Under the tsx CLI the server is tsx's child; under `node --import tsx` it is the child itself
  // (whose own children, like esbuild's service, must not get the signal).
  const servers = name === 'tsx' ? childrenOf(pgid) : [pgid];
  for (const pid of servers.length ? servers : [-pgid]) process.kill(pid, 'SIGINT');
  const deadline = performance.now() + EXIT_TIMEOUT_MS;
  while (groupAlive(pgid) && performance.now() < deadline) await sleep(10);
  if (groupAlive(pgid)) {
    process.kill(-pgid, 'SIGKILL');
    throw new Error(`server did not exit within ${EXIT_TIMEOUT_MS} ms of SIGINT (killed):\n${output()}`);
  }
  const code = await exit;
  current = undefined;
  // A non-zero exit means the database may not have been closed cleanly, which would make the
  // next "existing" start pay for recovery.
  if (code !== 0) throw new Error(`server exited with ${code} after SIGINT:\n${output()}`);
}

const workDir = mkdtempSync(join(tmpdir(), 'pipestore-bench-startup-'));
process.once('SIGINT', () => {
  if (current?.pid && groupAlive(current.pid)) process.kill(-current.pid, 'SIGKILL');
  rmSync(workDir, { recursive: true, force: true });
  process.exit(130);
});

const samples = { fresh: [] as number[], existing: [] as number[] };
try {
  for (let run = 0; run < runs; run++) {
    // The admin token is written next to the data directory, so give each run its own parent.
    const dataDir = join(workDir, `run-${run}`, 'pipestore');
    for (const kind of ['fresh', 'existing'] as const) {
      const { child, readyMs, output } = await start(dataDir);
      await stop(child, output);
      samples[kind].push(readyMs);
      if (!args.json) process.stderr.write(`run ${run + 1}/${runs} ${kind}: ${readyMs.toFixed(0)} ms\n`);
    }
  }
} finally {
  rmSync(workDir, { recursive: true, force: true });
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const summary = (Object.keys(samples) as (keyof typeof samples)[]).map((kind) => ({
  case: kind,
  runs: samples[kind].length,
  medianMs: Math.round(median(samples[kind])),
  minMs: Math.round(Math.min(...samples[kind])),
  maxMs: Math.round(Math.max(...samples[kind])),
}));

if (args.json) {
  const raw = Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, xs.map((x) => Math.round(x * 10) / 10)]));
  console.log(JSON.stringify({ command: startScript, pollMs: POLL_MS, summary, samplesMs: raw }, null, 2));
} else {
  console.log(`\`${startScript}\` on pglite:<tmpdir>, spawn -> first 200 from /health (poll ${POLL_MS} ms), ${runs} runs`);
  console.table(summary);
}
