/**
 * Runs the real `pipestore` CLI as a subprocess (`node functions/cli/bin.mjs …`), the way an
 * operator or a script does: exit code and both streams are what a shell would see.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = fileURLToPath(new URL('../../../functions/cli/bin.mjs', import.meta.url));

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * `env` is added to the parent's environment (TZ is always UTC, as in npm scripts); `cwd`
 * defaults to the repository root. Never rejects on a non-zero exit: tests assert on `code`.
 */
export function runCli(args: string[], env: Record<string, string> = {}, cwd: string = REPO_ROOT): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      cwd,
      // Without a TTY on stderr the CLI prints no progress, so output is stable for assertions.
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env, TZ: 'UTC' },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr }));
  });
}

/** Parses the stdout of a `--json` run, with the whole output in the error when it is not JSON. */
export function jsonOf<T = any>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`expected JSON on stdout (exit ${result.code}):\n${result.stdout}\n--- stderr ---\n${result.stderr}`);
  }
}
