/**
 * Work `npm start` runs beside the API in the same process. Each task is started once the server
 * listens and stopped (awaited) at shutdown after the last request, before the database closes,
 * so none of them ever runs on a closed database.
 */
import type { Database } from '../../db/client';
import type { AppConfig } from '../config';
import { type LocalScheduler, startLocalScheduler } from './scheduler';

export interface BackgroundTask {
  name: string;
  start(): void;
  /** Resolves when the task has finished what it was doing and will start nothing more. */
  stop(): Promise<void> | void;
}

export interface BackgroundDependencies {
  database: Database;
  config: AppConfig;
}

/** The tasks of the local server, in start order (stopped in reverse). Add new ones here. */
export function backgroundTasks({ database, config }: BackgroundDependencies): BackgroundTask[] {
  return [scheduleTick(database, config.localScheduler)];
}

/** The schedule tick every minute (functions/local/scheduler.ts; SCHEDULER=off leaves it out). */
function scheduleTick(database: Database, enabled: boolean): BackgroundTask {
  let scheduler: LocalScheduler | undefined;
  return {
    name: 'schedule tick',
    start: () => void (scheduler = startLocalScheduler(database, { enabled })),
    stop: () => scheduler?.stop(),
  };
}
