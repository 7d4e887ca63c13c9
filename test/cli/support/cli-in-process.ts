/**
 * The CLI's `main()` in the test's own process: exit code and both streams as a shell would see
 * them, without a fresh Node process per command (seconds each on a busy machine). For commands
 * that only talk to a database; `env` is applied for the call only.
 */
import { vi } from 'vitest';
import { main } from '../../../functions/cli/main';
import type { CliResult } from './run-cli';

/** Variables of the database configuration: cleared so that only what a case sets applies. */
const DATABASE_VARIABLES = [
  'DATABASE_URL',
  'DB_HOST',
  'DB_PORT',
  'DB_NAME',
  'DB_DATABASE',
  'DB_USER',
  'DB_USERNAME',
  'DB_PASS',
  'DB_PASSWORD',
  'DB_SSL',
  'DB_SSL_CA',
  'DB_CLUSTER_ARN',
  'DB_SECRET_ARN',
];

export async function cliInProcess(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  for (const name of DATABASE_VARIABLES) vi.stubEnv(name, '');
  for (const [name, value] of Object.entries(env)) vi.stubEnv(name, value);
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((stdout += String(chunk)), true));
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((stderr += String(chunk)), true));
  process.exitCode = undefined;
  try {
    const code = await main(['node', 'pipestore', ...args]);
    return { code, stdout, stderr };
  } finally {
    process.exitCode = undefined;
    out.mockRestore();
    err.mockRestore();
    vi.unstubAllEnvs();
  }
}
