/**
 * The export tree of `pipestore export` / `pipestore import` (README, Export and import), version 1:
 *
 *   export.json            { "format": "pipestore-export", "version": 1 }: marks the directory
 *   images/<hash>.json     one pipeline definition, RFC 8785 canonical JSON + "\n"; <hash> is the
 *                          SHA-256 of that canonical text, so equal definitions share one file
 *   versions/<name>.json   one pipeline: metadata, active version number, versions in order
 *   aliases.json           { "<pipeline name>": "<hash of its active version>" }
 *   runs/<name>.jsonl      the pipeline's runs, one canonical JSON object per line, sorted by id,
 *                          each with its task runs and DLQ entries (absent when there are none)
 *
 * Everything is written deterministically (sorted keys, sorted arrays, ISO-8601 UTC timestamps) so
 * that export -> import -> export reproduces the tree byte for byte. Ids, revisions and timestamps
 * are part of the tree and are preserved by import.
 */
import canonicalize from 'canonicalize';
import { z } from 'zod';
import { RUN_STATUSES, RUN_TRIGGERS, TASK_RUN_STATUSES } from '../../../db/schema';
import { identifierPattern } from '../../core/identifiers';
import { PipelineDescriptionSchema, PipelineLabelsSchema, PipelineNameSchema, PipelineScheduleSchema } from '../../core/pipeline-metadata';

export const FORMAT = { format: 'pipestore-export', version: 1 } as const;
export const FILES = {
  manifest: 'export.json',
  aliases: 'aliases.json',
  images: 'images',
  versions: 'versions',
  runs: 'runs',
} as const;

/** Canonical JSON (RFC 8785) on one line: image files and run lines. */
export const canonicalLine = (value: unknown): string => `${canonicalize(value)}\n`;

/**
 * Indented JSON with keys sorted the way RFC 8785 sorts them (UTF-16 code units), for the files
 * people read and diff. JSON.stringify alone would keep insertion order, which differs by driver.
 */
export function prettyJson(value: unknown): string {
  // Rendered by hand rather than by JSON.stringify of a key-sorted copy: a JS object always lists
  // integer-like keys ("10", "2") first, whatever order they were inserted in.
  const render = (v: unknown, indent: string): string => {
    const inner = `${indent}  `;
    if (Array.isArray(v)) {
      if (v.length === 0) return '[]';
      return `[\n${v.map((item) => inner + render(item, inner)).join(',\n')}\n${indent}]`;
    }
    if (v && typeof v === 'object') {
      const entries = Object.entries(v).filter(([, item]) => item !== undefined);
      if (entries.length === 0) return '{}';
      entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      const body = entries.map(([k, item]) => `${inner}${JSON.stringify(k)}: ${render(item, inner)}`);
      return `{\n${body.join(',\n')}\n${indent}}`;
    }
    return JSON.stringify(v ?? null);
  };
  return `${render(value, '')}\n`;
}

// ---- shapes (zod): what import accepts; export writes exactly these ----

/** Ids are opaque to the tree but must be plain ASCII so that byte order is the sort order everywhere. */
const id = z.string().regex(identifierPattern(100), 'must be 1-100 ASCII letters, digits, "_", "." or "-"');
/** A pipeline name: the same rules as the API and sync (core/pipeline-metadata.ts). */
export const slug = PipelineNameSchema;
export const hash = z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex digits (SHA-256)');
const timestamp = z.iso.datetime({ offset: true, error: 'must be an ISO-8601 timestamp' });
const nullableTimestamp = timestamp.nullable();
const revision = z.number().int().min(1);
/** Free JSON (inputs, outputs, errors): a missing value and null are the same thing. */
const json = z.unknown().transform((v): unknown => (v === undefined ? null : v));

export const ManifestSchema = z.strictObject({
  format: z.literal(FORMAT.format, { error: `must be "${FORMAT.format}"` }),
  version: z.literal(FORMAT.version, { error: `this pipestore reads version ${FORMAT.version} of the export format` }),
});

export const AliasesSchema = z.record(slug, hash);

export const VersionEntrySchema = z.strictObject({
  id,
  number: z.number().int().min(1),
  hash,
  sourceHash: z.string().max(200).nullable(),
  createdAt: timestamp,
});

export const PipelineFileSchema = z.strictObject({
  id,
  // What the API would accept for this pipeline, so an import never stores what it would refuse.
  name: slug,
  description: PipelineDescriptionSchema.nullable(),
  schedule: PipelineScheduleSchema.nullable(),
  // Absent in trees written before schedules had a zone and a pause switch: the column defaults.
  timezone: z.string().min(1).max(64).default('UTC'),
  scheduleEnabled: z.boolean().default(true),
  labels: PipelineLabelsSchema,
  activeVersion: z.number().int().min(1).nullable(),
  revision,
  createdAt: timestamp,
  updatedAt: timestamp,
  versions: z.array(VersionEntrySchema).min(1, 'a pipeline has at least one version'),
});
export type PipelineFile = z.infer<typeof PipelineFileSchema>;

/** What runs and task runs share: their data, lifecycle timestamps and revision. */
const executionFields = {
  input: json,
  output: json,
  error: json,
  startedAt: nullableTimestamp,
  completedAt: nullableTimestamp,
  heartbeatAt: nullableTimestamp,
  revision,
  createdAt: timestamp,
  updatedAt: timestamp,
};

export const TaskRunRecordSchema = z.strictObject({
  id,
  stageId: z.string().min(1).max(64),
  taskId: z.string().min(1).max(64),
  taskName: z.string().max(200).nullable(),
  attempt: z.number().int().min(1),
  status: z.enum(TASK_RUN_STATUSES),
  progress: z.number().min(0).max(1),
  messages: z.array(z.string()),
  ...executionFields,
});
export type TaskRunRecord = z.infer<typeof TaskRunRecordSchema>;

export const DlqRecordSchema = z.strictObject({
  id,
  taskRunId: id,
  payload: json,
  error: json,
  attempts: z.number().int().min(1),
  failedAt: timestamp,
  replayedAt: nullableTimestamp,
  replayTaskRunId: id.nullable(),
  revision,
  createdAt: timestamp,
  updatedAt: timestamp,
});
export type DlqRecord = z.infer<typeof DlqRecordSchema>;

/** One line of runs/<name>.jsonl. `version` is the number of a version in versions/<name>.json. */
export const RunRecordSchema = z.strictObject({
  id,
  version: z.number().int().min(1),
  status: z.enum(RUN_STATUSES),
  currentStage: z.string().max(64).nullable(),
  stageResults: z.record(z.string(), z.unknown()),
  // Absent in trees written before runs recorded how they were created.
  trigger: z.enum(RUN_TRIGGERS).default('api'),
  scheduledFor: nullableTimestamp.default(null),
  missedSlots: z.number().int().min(0).nullable().default(null),
  ...executionFields,
  taskRuns: z.array(TaskRunRecordSchema),
  dlq: z.array(DlqRecordSchema),
});
export type RunRecord = z.infer<typeof RunRecordSchema>;

/** Date columns as they appear in the tree. */
export const iso = (date: Date): string => date.toISOString();
