/**
 * Conditional writes made easy: read the current revision, apply a change, write it with If-Match,
 * and when someone else wrote in between (412), read again and re-apply, a bounded number of times.
 */
import { PipestoreError } from './errors';

export interface UpdateRetryOptions {
  /** Read-change-write rounds in all before the last 412 is thrown. Default 5. */
  attempts?: number;
}

export async function updateWithRetry<T extends { revision: number }, R>(
  read: () => Promise<T>,
  write: (current: T) => Promise<R>,
  { attempts = 5 }: UpdateRetryOptions = {},
): Promise<R> {
  for (let round = 1; ; round++) {
    const current = await read();
    try {
      return await write(current);
    } catch (err) {
      if (!(err instanceof PipestoreError && err.status === 412) || round >= attempts) throw err;
    }
  }
}
