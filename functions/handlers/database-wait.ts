/**
 * Scheduled work (cleanup, the schedule tick) against a database that may be paused: an Aurora
 * cluster at 0 ACU answers DatabaseResumingException for ~15 s after a request wakes it. The work
 * is retried until its deadline; a database still unavailable then ends the invocation cleanly,
 * with a result and an error log line that say so, rather than with a thrown error: nothing
 * retries a scheduled invocation anyway (infra/: no retries), and the next one catches up.
 */
import { isConnectionError } from '../../db/errors';
import { errorFields, log } from '../log';
import { retryWhileUnavailable } from './retry';

export interface DatabaseWaits {
  /** Attempts that met an unavailable database before the one that answered. */
  databaseRetries: number;
}

export interface DatabaseUnavailableOutcome extends DatabaseWaits {
  complete: false;
  databaseUnavailable: true;
  /** From the first attempt to giving up. */
  waitedMs: number;
}

export async function retryOrReportUnavailable<T extends object>(
  what: string,
  fn: () => Promise<T>,
  { deadline, logFields = {} }: { deadline: number; logFields?: Record<string, unknown> },
): Promise<(T & DatabaseWaits) | DatabaseUnavailableOutcome> {
  const started = Date.now();
  let databaseRetries = 0;
  try {
    const result = await retryWhileUnavailable(fn, { deadline, onRetry: () => databaseRetries++ });
    return { ...result, databaseRetries };
  } catch (err) {
    if (!isConnectionError(err)) throw err;
    const outcome: DatabaseUnavailableOutcome = { complete: false, databaseUnavailable: true, databaseRetries, waitedMs: Date.now() - started };
    log.error(`${what}: the database stayed unavailable until the deadline; the next scheduled run catches up`, {
      ...outcome,
      ...logFields,
      error: errorFields(err),
    });
    return outcome;
  }
}
