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
  prefix: string;
  load(): Promise<Router[]>;
}

export const API_RESOURCES: readonly ApiResource[] = [
  { prefix: '/v1/projects', load: async () => [(await import('./routes/projects')).projectRoutes] },
  {
    prefix: '/v1/pipelines',
    load: async () => {
      const [pipelines, versions, runs, history] = await Promise.all([
        import('./routes/pipelines'),
        import('./routes/versions'),
        import('./routes/runs'),
        import('./routes/pipeline-history'),
      ]);
      return [pipelines.pipelineRoutes, versions.versionRoutes, runs.pipelineRunRoutes, history.pipelineHistoryRoutes];
    },
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
