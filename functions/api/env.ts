import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Hono } from 'hono';
import type { AppConfig } from '../config';
import type { Database } from '../../db/client';
import type { Store } from '../store/store';

/** What every handler can read from `c.var`. */
export interface AppVariables {
  requestId: string;
  /** The project of the presented API key; set by the auth middleware on project routes. */
  projectId: string;
  /** The id of the presented API key (who made a change, e.g. in the activation history). */
  keyId: string;
  database: Database;
  config: AppConfig;
  /**
   * The request's way into the data: reads through the process-wide memory layer (one per app,
   * i.e. per warm container) and the writes that invalidate them.
   */
  store: Store;
}

export type AppEnv = { Variables: AppVariables };
/** The API as its entry points see it: something that answers requests. */
export type App = Hono<AppEnv>;
/** A router of described routes (validation.ts createRouter): a resource's routes, or an app of them. */
export type Router = OpenAPIHono<AppEnv>;
