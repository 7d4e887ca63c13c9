import { createRoute, z } from '@hono/zod-openapi';
import { RUN_STATUSES, RUN_TRIGGERS, TASK_RUN_STATUSES } from '../../../db/schema';
import { PIPELINE_METADATA_LIMITS } from '../../core/pipeline-metadata';
import { projectStore, withETag } from '../http';
import { DateTimeInput, ETagHeader, IdParams, PageQuery, commonErrors, jsonResponse, notFound, pageOf } from '../schemas';
import { createRouter } from '../validation';
import { Run } from './runs';
import { TaskRun } from './task-runs';

/** A query parameter that may be repeated (`?status=a&status=b`): one value or several, read as a list. */
const repeatable = <T extends z.ZodTypeAny>(item: T, max: number, description: string) =>
  z
    .union([item, z.array(item).max(max)])
    .transform((value): z.output<T>[] => (Array.isArray(value) ? value : [value]))
    .optional()
    .openapi({ description: `${description} Repeatable (any of the values), at most ${max}.` });

const LabelFilter = z
  .string()
  .max(PIPELINE_METADATA_LIMITS.labelKey + 1 + PIPELINE_METADATA_LIMITS.labelValue)
  .regex(/^[^=]+=/, 'must be key=value')
  .transform((pair) => ({ key: pair.slice(0, pair.indexOf('=')), value: pair.slice(pair.indexOf('=') + 1) }));

const RunsQuery = PageQuery.extend({
  pipeline: repeatable(z.string().min(1).max(100), 50, 'A pipeline id or name; unknown ones are 400.'),
  status: repeatable(z.enum(RUN_STATUSES), RUN_STATUSES.length, 'A run status.'),
  trigger: repeatable(z.enum(RUN_TRIGGERS), RUN_TRIGGERS.length, 'How the run was created.'),
  label: repeatable(LabelFilter, 20, "key=value: a label the run's pipeline carries (every one given must match)."),
  createdAfter: DateTimeInput.optional().openapi({ description: 'Runs created at or after this time (RFC 3339)' }),
  createdBefore: DateTimeInput.optional().openapi({ description: 'Runs created before this time (RFC 3339)' }),
});

const ProjectRun = Run.extend({ pipelineName: z.string() }).openapi('ProjectRun');

const DURATION = /^([1-9][0-9]{0,5})([mhd])$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const StatsQuery = z.strictObject({
  since: z
    .union([DateTimeInput, z.string().regex(DURATION, 'must be an RFC 3339 time or a duration like 90m, 24h, 7d')])
    .optional()
    .openapi({ description: 'Start of the window: an RFC 3339 time or a duration back from now (90m, 24h, 7d); default 24h, at most 31 days' }),
});
const sinceDate = (since: string | undefined, now = Date.now()): Date | undefined => {
  if (since === undefined) return undefined;
  const duration = DURATION.exec(since);
  return duration ? new Date(now - Number(duration[1]) * UNIT_MS[duration[2] as keyof typeof UNIT_MS]) : new Date(since);
};

const PERCENTILE_BOUND =
  'Milliseconds, as percentile_cont over the durations would give, within 2.5 % (durations below 1 ms: within 1 ms): read from a log-scale histogram (bucket ratio 1.05). Counts are exact. Null when no run finished.';
const StatsGroup = {
  counts: z.object(Object.fromEntries(RUN_STATUSES.map((s) => [s, z.number().int()])) as Record<(typeof RUN_STATUSES)[number], z.ZodNumber>),
  total: z.number().int(),
  durationMs: z.object({
    p50: z.number().nullable().openapi({ description: PERCENTILE_BOUND }),
    p95: z.number().nullable().openapi({ description: PERCENTILE_BOUND }),
    finished: z.number().int().openapi({ description: 'Runs with both startedAt and completedAt, which the percentiles are over' }),
  }),
};
const RunStats = z
  .object({
    since: z.string().datetime(),
    until: z.string().datetime(),
    total: z.object(StatsGroup),
    pipelines: z.array(z.object({ pipelineId: z.string(), pipelineName: z.string(), ...StatsGroup })),
  })
  .openapi('RunStats');

const tags = ['runs'];

/** Routes under /v1/runs that read across the project (mounted before /v1/runs/{id}). */
export const runQueryRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'listProjectRuns',
      tags,
      summary: "The project's runs across pipelines, newest first, filtered",
      description:
        'Filters combine (AND); a repeated parameter matches any of its values. A cursor only continues the list of the filters it came from (others: 400).',
      request: { query: RunsQuery },
      responses: { 200: jsonResponse(pageOf(ProjectRun, 'ProjectRunPage'), 'A page of runs'), ...commonErrors },
    }),
    async (c) => {
      const { limit, cursor, pipeline, status, trigger, label, createdAfter, createdBefore } = c.req.valid('query');
      const filters = {
        pipelines: pipeline,
        statuses: status,
        triggers: trigger,
        labels: label,
        createdAfter: createdAfter === undefined ? undefined : new Date(createdAfter),
        createdBefore: createdBefore === undefined ? undefined : new Date(createdBefore),
      };
      return c.json(await projectStore(c).listProjectRuns({ filters, cursor, limit }), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/stats',
      operationId: 'getRunStats',
      tags,
      summary: 'Run counts per status and duration percentiles (p50, p95), per pipeline and in total',
      description:
        'Runs created since `since` (default 24 h, at most 31 days). Counts per status are exact; the duration percentiles are within 2.5 % of the exact ones (read from hourly and daily rollups with log-scale duration histograms, and the partial hours at both ends of the window from the runs themselves).',
      request: { query: StatsQuery },
      responses: { 200: jsonResponse(RunStats, 'Statistics of the runs created in the window'), ...commonErrors },
    }),
    async (c) => c.json(await projectStore(c).runStats({ since: sinceDate(c.req.valid('query').since) }), 200),
  );

/** Routes under /v1/task-runs that read. */
export const taskRunQueryRoutes = createRouter()
  .openapi(
    createRoute({
      method: 'get',
      path: '/',
      operationId: 'listProjectTaskRuns',
      tags: ['task runs'],
      summary: "The project's task runs across runs, newest first, by status and task id",
      request: {
        query: PageQuery.extend({
          status: z.enum(TASK_RUN_STATUSES).optional(),
          taskId: z.string().min(1).max(64).optional().openapi({ description: "The task's id in its stage" }),
        }),
      },
      responses: { 200: jsonResponse(pageOf(TaskRun, 'ProjectTaskRunPage'), 'A page of task runs'), ...commonErrors },
    }),
    async (c) => {
      const { limit, cursor, status, taskId } = c.req.valid('query');
      return c.json(await projectStore(c).listProjectTaskRuns({ filters: { status, taskId }, cursor, limit }), 200);
    },
  )
  .openapi(
    createRoute({
      method: 'get',
      path: '/{id}',
      operationId: 'getTaskRun',
      tags: ['task runs'],
      summary: 'Get a task run',
      request: { params: IdParams },
      responses: { 200: { ...jsonResponse(TaskRun, 'The task run'), headers: ETagHeader }, ...commonErrors, ...notFound },
    }),
    async (c) => c.json(withETag(c, await projectStore(c).getTaskRun(c.req.valid('param').id)), 200),
  );
