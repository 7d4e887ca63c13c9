/**
 * What a pipeline's metadata may be: its name, description, schedule (with its time zone and pause
 * switch) and labels. One set of rules
 * for every way in: the API's request bodies (functions/api/routes/pipelines.ts) and code-defined
 * pipelines (`definePipeline()` and `pipestore sync`, functions/core/sync.ts), whose direct mode
 * writes through the core, which stores whatever it is given.
 *
 * Plain zod, like the definition schemas: `.meta()` is picked up by the API's OpenAPI document.
 */
import { z } from 'zod';
import { scheduleError, timezoneError } from './cron';
import { SLUG_PATTERN } from './identifiers';

export const PIPELINE_METADATA_LIMITS = {
  name: 100,
  description: 2000,
  schedule: 200,
  labels: 50,
  labelKey: 100,
  labelValue: 500,
} as const;

const L = PIPELINE_METADATA_LIMITS;

/** Names are slugs; ids contain "_", so a name never looks like an id (lookups take either). */
export const PipelineNameSchema = z.string().min(1).max(L.name).regex(SLUG_PATTERN, 'must be a slug: lowercase letters, digits and single hyphens');

export const PipelineDescriptionSchema = z.string().max(L.description);

export const PipelineScheduleSchema = z
  .string()
  .max(L.schedule)
  .superRefine((value, ctx) => {
    const error = scheduleError(value);
    if (error) ctx.addIssue({ code: 'custom', message: error });
  })
  .meta({
    description:
      'Cron expression: five fields (minute hour day-of-month month day-of-week) or a nickname such as @daily, read in `timezone`; seconds are refused (a schedule fires at most once a minute)',
  });

export const PipelineTimezoneSchema = z
  .string()
  .max(64)
  .superRefine((value, ctx) => {
    const error = timezoneError(value);
    if (error) ctx.addIssue({ code: 'custom', message: error });
  })
  .meta({ description: 'IANA time zone the schedule is read in (default UTC)', example: 'Europe/Berlin' });

export const ScheduleEnabledSchema = z
  .boolean()
  .meta({ description: 'False pauses the schedule without losing it; resuming fires no slot that passed while paused' });

export const PipelineLabelsSchema = z
  .record(z.string().min(1).max(L.labelKey), z.string().max(L.labelValue))
  .refine((l) => Object.keys(l).length <= L.labels, `at most ${L.labels} labels`);

/**
 * The metadata fields as a pipeline is created with them: a name, the rest optional (null clears
 * a description or schedule). Spread into a strict object next to the definition.
 */
export const pipelineMetadataFields = {
  name: PipelineNameSchema,
  description: PipelineDescriptionSchema.nullable().optional(),
  schedule: PipelineScheduleSchema.nullable().optional(),
  timezone: PipelineTimezoneSchema.optional(),
  scheduleEnabled: ScheduleEnabledSchema.optional(),
  labels: PipelineLabelsSchema.optional(),
};
