import { isConnectionError } from '../../db/errors';
import { errorFields, log } from '../log';

/**
 * Runs `fn` again while the database is waking up. An Aurora cluster that scaled to zero answers
 * DatabaseResumingException for ~15 s; deploy-time migrations and scheduled cleanup are idempotent,
 * so they wait instead of failing the deploy or skipping a round. The API does not wait: it answers
 * 503 with Retry-After and lets the client decide.
 */
export async function retryWhileUnavailable<T>(
  fn: () => Promise<T>,
  { deadline, pauseMs = 2_000, onRetry }: { deadline: number; pauseMs?: number; onRetry?: () => void },
): Promise<T> {
  for (;;) {
    try {
      return await fn();
    } catch (err) {
      if (!isConnectionError(err) || Date.now() + pauseMs >= deadline) throw err;
      onRetry?.();
      // errorFields, not the error's text: Drizzle's message carries the statement's parameters.
      log.warn('database unavailable, retrying', { error: errorFields(err), retryInMs: pauseMs });
      await new Promise((r) => setTimeout(r, pauseMs));
    }
  }
}
