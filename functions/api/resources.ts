import type { Router } from './env';

/**
 * The API's resources: each path prefix with the route modules that serve it, in mounting order
 * (within a prefix the first match wins: /v1/runs/stats before /v1/runs/{id}). A module's routes
 * and their zod/OpenAPI schemas are built when it is imported, so each is imported only when the
 * first request under its prefix arrives (createApp), and on a cold start that asks for one
 * resource nothing of the others is built. A route module exports its routers; adding one means
 * naming it here, or it is served nowhere (the OpenAPI document is built from this list too).
 */
export interface ApiResource {
  /** Where its routers are mounted: their paths are relative to it. */
  prefix: string;
  /**
   * The request paths it answers (Hono patterns), when not the prefix and everything under it: a
   * path that many first requests ask for gets a resource of its own, loading only its module.
   * createApp routes these before the prefixes, so they are carved out of their prefix's resource.
   */
  paths?: string[];
  load(): Promise<Router[]>;
}

export const API_RESOURCES: readonly ApiResource[] = [
  { prefix: '/v1/projects', load: async () => [(await import('./routes/projects')).projectRoutes] },
  {
    prefix: '/v1/pipelines',
    load: async () => {
      const [pipelines, versions] = await Promise.all([import('./routes/pipelines'), import('./routes/versions')]);
      return [pipelines.pipelineRoutes, versions.versionRoutes];
    },
  },
  // Creating a run is what a scheduler's or worker's first request usually is: it loads runs.ts
  // alone, not the pipeline, version and history routes besides.
  {
    prefix: '/v1/pipelines',
    paths: ['/v1/pipelines/:id/runs'],
    load: async () => [(await import('./routes/runs')).pipelineRunRoutes],
  },
  {
    prefix: '/v1/pipelines',
    paths: ['/v1/pipelines/:id/activations', '/v1/pipelines/:id/versions/:a/diff/:b'],
    load: async () => [(await import('./routes/pipeline-history')).pipelineHistoryRoutes],
  },
  {
    prefix: '/v1/runs',
    load: async () => {
      const [queries, runs, taskRuns] = await Promise.all([import('./routes/run-queries'), import('./routes/runs'), import('./routes/task-runs')]);
      // Queries first: /v1/runs/stats must not be read as the run "stats".
      return [queries.runQueryRoutes, runs.runRoutes, taskRuns.runTaskRoutes];
    },
  },
  {
    prefix: '/v1/task-runs',
    load: async () => {
      const [queries, taskRuns] = await Promise.all([import('./routes/run-queries'), import('./routes/task-runs')]);
      return [queries.taskRunQueryRoutes, taskRuns.taskRunRoutes];
    },
  },
  { prefix: '/v1/dlq', load: async () => [(await import('./routes/dlq')).dlqRoutes] },
  { prefix: '/v1/idempotency', load: async () => [(await import('./routes/idempotency')).idempotencyRoutes] },
  { prefix: '/v1/services', load: async () => [(await import('./routes/registry')).serviceRoutes] },
  { prefix: '/v1/tasks', load: async () => [(await import('./routes/registry')).taskRoutes] },
  { prefix: '/v1/schedules', load: async () => [(await import('./routes/schedules')).scheduleRoutes] },
];
