import type { AppConfig } from '../config';
import type { Database } from '../../db/client';
import type { MemoryCache } from '../cache/memory-cache';
import type { ConsoleSession } from '../core/console-sessions';
import type { ProjectStore } from '../store/project-store';
import type { Store } from '../store/store';

/** What the console is built with: the API's database, configuration and memory layer. */
export interface ConsoleDependencies {
  database: Database;
  config: AppConfig;
  /** Shared with the API when both run in one process, so a write in either invalidates both. */
  cache: MemoryCache;
}

export interface SignedIn extends ConsoleSession {
  /** The clear session token from the cookie (never stored), which the CSRF token derives from. */
  token: string;
  /** The CSRF token every form of this session carries. */
  csrf: string;
}

export interface ConsoleVariables {
  requestId: string;
  database: Database;
  config: AppConfig;
  /** Reads through the memory layer shared with the API, and the writes that invalidate them. */
  store: Store;
  session: SignedIn;
}

export type ConsoleEnv = { Variables: ConsoleVariables };

/** What a page's data loader gets: the database and the signed-in project, nothing from HTTP. */
export interface PageContext {
  db: Database['db'];
  /** The signed-in project's store: cached reads (pipelines, versions). */
  store: ProjectStore;
  projectId: string;
}
