/**
 * The README is executable: its quick start, first authenticated call and CLI examples run
 * verbatim (bash, curl, jq, npx) against `npm start` on a fresh `.data/`, the way a new user
 * pastes them. A non-2xx answer (curl --fail-with-body), a `null` picked out by jq (jq -e) or a
 * failing command fails the test and names the block. Only `npm install`/`npm start`/`npm test`
 * lines are the harness's: the checkout is installed, the server is started and stopped around the
 * blocks that need it (the CLI's direct mode needs the embedded store to itself), the suite is this.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../cli/support/run-cli';
import { readmeSteps, type Step } from './readme-blocks';

const steps = readmeSteps(join(REPO_ROOT, 'README.md'));

/** A fresh directory that looks like the checkout (the code linked in) with no `.data/` yet. */
function freshCheckout(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pipestore-readme-'));
  for (const entry of ['package.json', 'tsconfig.json', 'node_modules', 'functions', 'db']) {
    symlinkSync(join(REPO_ROOT, entry), join(dir, entry));
  }
  return dir;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

/** What a user's shell has, and none of the test run's database or token settings. */
const userEnv = (extra: Record<string, string>): Record<string, string> => ({
  PATH: process.env.PATH ?? '/usr/bin:/bin',
  HOME: process.env.HOME ?? '/tmp',
  TZ: 'UTC',
  npm_config_update_notifier: 'false',
  ...extra,
});

/** The harness's shell: fails on any error, non-2xx or null; variables carry from block to block. */
const PRELUDE = `set -euo pipefail
shopt -s inherit_errexit
curl() { command curl --fail-with-body --silent --show-error --max-time 120 "$@"; }
jq() { command jq -e "$@"; }
[ -f .readme-state ] && source .readme-state
`;

function runShell(step: Extract<Step, { kind: 'shell' }>, cwd: string, env: Record<string, string>) {
  const save = step.variables.map((v) => `printf 'export %s=%q\\n' ${v} "\${${v}-}" >> .readme-state`).join('\n');
  const script = `${PRELUDE}\n${step.script}\n${save}\n`;
  return new Promise<{ code: number; output: string }>((resolve, reject) => {
    const child = spawn('bash', ['-c', script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, output }));
  });
}

/** `npm start` in the fresh checkout, up once /health answers 200. */
async function startServer(cwd: string, env: Record<string, string>, base: string): Promise<ChildProcess> {
  // Its own process group: npm, the shell it runs and node all get the stop signal.
  const server = spawn('npm', ['start'], { cwd, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  server.stdout!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  server.stderr!.setEncoding('utf8').on('data', (chunk: string) => (output += chunk));
  // Start-up is a Node process with tsx plus migrations: seconds idle, a minute on a loaded machine.
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    if (server.exitCode !== null) throw new Error(`npm start exited with ${server.exitCode}:\n${output}`);
    const healthy = await fetch(`${base}/health`).then(
      (res) => res.ok,
      () => false,
    );
    if (healthy) return server;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`npm start did not answer /health within 180 s:\n${output}`);
}

/** Ctrl-C, as the README says: the embedded store is closed cleanly before the process exits. */
async function stopServer(server: ChildProcess): Promise<void> {
  if (server.exitCode !== null || server.signalCode !== null) return;
  const exited = new Promise((resolve) => server.once('exit', resolve));
  process.kill(-server.pid!, 'SIGINT');
  await exited;
}

describe('the README, run as written', () => {
  const dir = freshCheckout();
  let server: ChildProcess | undefined;
  afterAll(async () => {
    if (server) await stopServer(server);
    rmSync(dir, { recursive: true, force: true });
  });

  it('has runnable blocks in each section it promises', () => {
    const sections = new Set(steps.filter((s) => s.kind === 'shell').map((s) => s.section));
    expect([...sections]).toEqual(['Quick start', 'Your first authenticated call', 'Operator CLI: `pipestore`']);
    expect(steps.some((s) => s.kind === 'shell' && /npx pipestore projects create/.test(s.script))).toBe(true);
    expect(steps.some((s) => s.kind === 'shell' && /npx pipestore keys create/.test(s.script))).toBe(true);
  });

  // Every CLI line is a fresh Node process and the server is restarted around the CLI blocks:
  // about a minute idle, several under load.
  it('quick start, first call and CLI examples succeed against npm start on a fresh .data/', { timeout: 1_200_000 }, async () => {
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const env = userEnv({ PORT: String(port), BASE: base });
    expect(existsSync(join(dir, '.data'))).toBe(false);

    for (const step of steps) {
      if (step.kind === 'file') {
        mkdirSync(dirname(join(dir, step.path)), { recursive: true });
        writeFileSync(join(dir, step.path), step.text);
        continue;
      }
      if (step.needsServer && !server) server = await startServer(dir, env, base);
      if (!step.needsServer && server) {
        await stopServer(server);
        server = undefined;
      }
      const { code, output } = await runShell(step, dir, env);
      if (code !== 0) throw new Error(`README block in "${step.section}" failed (exit ${code}):\n${step.script}\n--- output ---\n${output}`);
    }

    const state = readFileSync(join(dir, '.readme-state'), 'utf8');
    expect(state).toMatch(/^export PROJECT=proj_[0-9a-z]{26}$/m);
    expect(state).toMatch(/^export KEY=ps_[A-Za-z0-9_-]{43}$/m);
    expect(state).toMatch(/^export RESTORED=proj_[0-9a-z]{26}$/m);
    expect(readFileSync(join(dir, '.data/admin-token'), 'utf8')).toMatch(/^psadmin_/);
  });
});
