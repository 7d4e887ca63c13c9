import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppConfig } from '../../db/config';
import type { Database } from '../../db/client';

/** What every handler can read from `c.var`. */
export interface AppVariables {
  requestId: string;
  /** The project of the presented API key; set by the auth middleware on project routes. */
  projectId: string;
  database: Database;
  config: AppConfig;
}

export type AppEnv = { Variables: AppVariables };
export type App = OpenAPIHono<AppEnv>;
