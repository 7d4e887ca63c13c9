import { isConnectionError } from '../../db/errors';
import { log } from '../log';

/**
 * Runs `fn` again while the database is waking up. An Aurora cluster that scaled to zero answers
 * DatabaseResumingException for ~15 s; deploy-time migrations and scheduled cleanup are idempotent,
 * so they wait instead of failing the deploy or skipping a round. The API does not wait: it answers
 * 503 with Retry-After and lets the client decide.
 */
export async function retryWhileUnavailable<T>(fn: () => Promise<T>, { deadline, pauseMs = 2_000 }: { deadline: number; pauseMs?: number }): Promise<T> {
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!isConnectionError(err) || Date.now() + pauseMs >= deadline) throw err;
      log.warn('database unavailable, retrying', { error: String(err) });
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  }
}
