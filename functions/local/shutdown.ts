/**
 * Stopping `npm start` (SIGTERM from a container runtime, Ctrl-C): stop accepting connections,
 * let the requests in flight finish within the grace period, stop the background tasks, then
 * close the database. PGlite must be closed cleanly or its data directory needs recovery on the
 * next start.
 */
import type { Server } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Database } from '../../db/client';
import { log } from '../log';
import type { BackgroundTask } from './background';
import type { ConnectionPolicy } from './early-answers';

/** After the grace period, how long handlers whose connections were cut get to return. */
const HANDLER_SETTLE_MS = 2_000;

export interface ShutdownDependencies {
  server: Server;
  policy: ConnectionPolicy;
  graceMs: number;
  tasks: BackgroundTask[];
  database: Database;
}

/** A function to call on each signal; it resolves with the exit code (the same on every call). */
export function gracefulShutdown({ server, policy, graceMs, tasks, database }: ShutdownDependencies) {
  let stopping: Promise<number> | undefined;
  return (signal: string): Promise<number> => {
    if (stopping) {
      // A second signal: the operator does not want to wait for the grace period.
      log.warn('shutting down now: cutting open connections', { signal, inFlight: policy.inFlight });
      server.closeAllConnections();
      return stopping;
    }
    stopping = stop(signal).then(
      () => 0,
      (err) => {
        log.error('shutdown failed', { error: err instanceof Error ? err.stack : String(err) });
        return 1;
      },
    );
    return stopping;
  };

  async function stop(signal: string): Promise<void> {
    log.info('shutting down', { signal, inFlight: policy.inFlight, graceMs });
    // Every response from now on closes its connection, so keep-alive clients move elsewhere.
    policy.closing = true;
    // close() also closes the connections idle now; the others close after their response.
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    const grace = setTimeout(() => {
      log.warn('grace period over: cutting the connections still open', { inFlight: policy.inFlight, graceMs });
      server.closeAllConnections();
    }, graceMs);
    await closed;
    clearTimeout(grace);
    for (let waited = 0; policy.inFlight > 0 && waited < HANDLER_SETTLE_MS; waited += 20) await sleep(20);
    for (const task of [...tasks].reverse()) await task.stop();
    await database.close();
    log.info('stopped', { signal });
  }
}
