/**
 * A run and a task run as the API answers them and the export writes them: each schema beside the
 * mapper that fills it. The mappers' return types are the schemas' outputs, so a field added to
 * one and not the other fails typecheck (a missing property, or an excess one in the literal).
 *
 * Plain zod, like the definition schemas: the API names them as components of its OpenAPI document,
 * which picks up the field descriptions given with `.meta()`.
 */
import { z } from 'zod';
import { RUN_STATUSES, RUN_TRIGGERS, TASK_RUN_STATUSES, type pipelineRuns, type taskRuns } from '../../db/schema';

/** What runs and task runs share: their data, lifecycle timestamps and revision. */
const executionFields = {
  input: z.unknown(),
  output: z.unknown(),
  error: z.unknown(),
  startedAt: z.string().datetime().nullable(),
  completedAt: z.string().datetime().nullable(),
  heartbeatAt: z.string().datetime().nullable(),
  revision: z.number().int(),
  createdAt: z.string().datetime(),
  updatedAt: z.string().datetime(),
};

type ExecutionRow = Pick<typeof pipelineRuns.$inferSelect, keyof typeof executionFields>;

const toExecutionFields = (row: ExecutionRow): z.output<z.ZodObject<typeof executionFields>> => ({
  input: row.input,
  output: row.output,
  error: row.error,
  startedAt: row.startedAt?.toISOString() ?? null,
  completedAt: row.completedAt?.toISOString() ?? null,
  heartbeatAt: row.heartbeatAt?.toISOString() ?? null,
  revision: row.revision,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
});

export const RunSchema = z.object({
  id: z.string(),
  pipelineId: z.string(),
  version: z.number().int().meta({ description: 'The version number the run is pinned to' }),
  status: z.enum(RUN_STATUSES),
  currentStage: z.string().nullable(),
  stageResults: z.record(z.string(), z.unknown()),
  trigger: z.enum(RUN_TRIGGERS).meta({ description: 'How the run was created' }),
  scheduledFor: z.string().datetime().nullable().meta({ description: 'The schedule slot that created the run' }),
  missedSlots: z
    .number()
    .int()
    .nullable()
    .meta({ description: 'For a scheduled run: how many earlier slots passed without a run (not back-filled; counted up to 1000)' }),
  ...executionFields,
});
export type Run = z.output<typeof RunSchema>;

/** `version` is the number of the version the run is pinned to, which the row holds by id. */
export const toRun = ({ version, ...run }: typeof pipelineRuns.$inferSelect & { version: number }): Run => ({
  id: run.id,
  pipelineId: run.pipelineId,
  version,
  status: run.status,
  currentStage: run.currentStage,
  stageResults: run.stageResults,
  trigger: run.trigger,
  scheduledFor: run.scheduledFor?.toISOString() ?? null,
  missedSlots: run.missedSlots,
  ...toExecutionFields(run),
});

export const TaskRunSchema = z.object({
  id: z.string(),
  runId: z.string(),
  stageId: z.string(),
  taskId: z.string(),
  taskName: z.string().nullable(),
  attempt: z.number().int(),
  status: z.enum(TASK_RUN_STATUSES),
  progress: z.number(),
  messages: z.array(z.string()),
  ...executionFields,
});
export type TaskRun = z.output<typeof TaskRunSchema>;

export const toTaskRun = (row: typeof taskRuns.$inferSelect): TaskRun => ({
  id: row.id,
  runId: row.runId,
  stageId: row.stageId,
  taskId: row.taskId,
  taskName: row.taskName,
  attempt: row.attempt,
  status: row.status,
  progress: row.progress,
  messages: row.messages,
  ...toExecutionFields(row),
});
