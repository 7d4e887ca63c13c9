/** Exit codes scripts can rely on; documented in the README and in `pipestore --help`. */
export const EXIT = {
  ok: 0,
  /** A check failed: `sync --check` out of sync, `db check` unreachable, cleanup incomplete. */
  checkFailed: 1,
  /** Bad usage: unknown command or option, a missing required flag (`db reset` without --yes). */
  usage: 2,
  /** The configuration is invalid (README, Configuration). */
  config: 3,
  /** The database could not be reached. */
  unavailable: 4,
  /** Input files are invalid (sync, import): nothing was written. */
  invalidInput: 5,
} as const;

/** A failure the CLI reports with its own exit code and message (no stack trace). */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
    readonly details?: unknown,
  ) {
    super(message);
  }
}
