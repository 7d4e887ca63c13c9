import { createRoute, z } from '@hono/zod-openapi';
import { RUN_STATUSES } from '../../../db/schema';
import { projectStore } from '../http';
import { PageQuery, commonErrors, jsonResponse, pageOf } from '../schemas';
import { createRouter } from '../validation';

const Schedule = z
  .object({
    pipelineId: z.string(),
    pipelineName: z.string(),
    expression: z.string().openapi({ description: 'The cron expression (five fields or a nickname)' }),
    timezone: z.string().openapi({ description: 'IANA time zone the expression is read in' }),
    enabled: z.boolean().openapi({ description: 'False while paused (PATCH /v1/pipelines/{id} with scheduleEnabled)' }),
    nextRunAt: z.string().datetime().nullable().openapi({ description: 'The next slot that fires; null while paused' }),
    lastRun: z
      .object({
        id: z.string(),
        status: z.enum(RUN_STATUSES),
        scheduledFor: z.string().datetime(),
        missedSlots: z.number().int(),
        createdAt: z.string().datetime(),
      })
      .nullable()
      .openapi({ description: 'The newest run the schedule created' }),
  })
  .openapi('Schedule');

export const scheduleRoutes = createRouter().openapi(
  createRoute({
    method: 'get',
    path: '/',
    operationId: 'listSchedules',
    tags: ['schedules'],
    summary: 'List the scheduled pipelines (paused ones too), oldest pipeline first',
    request: { query: PageQuery },
    responses: { 200: jsonResponse(pageOf(Schedule, 'SchedulePage'), 'A page of schedules'), ...commonErrors },
  }),
  async (c) => c.json(await projectStore(c).listSchedules(c.req.valid('query')), 200),
);
