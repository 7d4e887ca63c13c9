/**
 * The schedule tick inside `npm start`, so that local schedules fire too: the same tickSchedules
 * the scheduler Lambda and `pipestore schedules tick` run, once at start (catching up what passed
 * while the server was down, recorded as missed) and then shortly after every minute boundary.
 * SCHEDULER=off disables it (for example when several local servers share one database and one
 * of them, or a deployed scheduler, already ticks; concurrent ticks are safe either way).
 */
import type { Database } from '../../db/client';
import { tickSchedules } from '../core/schedules';
import { log } from '../log';

export interface LocalScheduler {
  /** Stops ticking and waits for a tick in progress (call before closing the database). */
  stop(): Promise<void>;
}

/** After the minute boundary, so the slot that just began is due even with a little clock skew. */
const AFTER_BOUNDARY_MS = 1_000;

export function startLocalScheduler(database: Database, { enabled, periodMs = 60_000 }: { enabled: boolean; periodMs?: number }): LocalScheduler | undefined {
  if (!enabled) {
    log.info('scheduler off (SCHEDULER=off): schedules do not fire in this process');
    return undefined;
  }
  let running: Promise<void> | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  const tick = () => {
    // A tick still running (a slow database) is not doubled: the next boundary catches up.
    if (running || stopped) return;
    running = tickSchedules({ db: database.db })
      .then((result) => {
        if (result.fired.length) log.info('schedule tick', { ...result, fired: result.fired.length, slots: result.fired });
        else log.debug('schedule tick', { ...result, fired: 0 });
      })
      .catch((err) => log.warn('schedule tick failed', { error: err instanceof Error ? err.message : String(err) }))
      .finally(() => {
        running = undefined;
      });
  };
  const scheduleNext = () => {
    if (stopped) return;
    const delay = periodMs - (Date.now() % periodMs) + (periodMs >= 60_000 ? AFTER_BOUNDARY_MS : 0);
    timer = setTimeout(() => {
      tick();
      scheduleNext();
    }, delay);
    timer.unref();
  };
  tick();
  scheduleNext();
  return {
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await running;
    },
  };
}
