/**
 * The sync plan: what the store must do to match the code, computed from the files and one listing
 * of the store, and then applied through a StoreWriter. Pure apart from the writer, and shared by
 * the direct and API stores.
 */
import type { PipelineDefinition } from '../../../db/schema';
import { contentHash } from '../../core/hashing';
import type { PipelineSpec, SyncedPipeline } from '../../core/sync';
import type { SourceFile } from './files';
import type { PipelineMetadata, StoreWriter } from './store';

/** A file in code: evaluated (spec known) or skipped by source hash (only its pipeline known). */
export type CodePipeline =
  | { file: string; sourceHash: string; name: string; spec: PipelineSpec }
  | { file: string; sourceHash: string; name: string; spec?: undefined };

export type MetadataField = keyof PipelineMetadata;

export type PlanItem =
  | { action: 'create'; name: string; file: string; spec: PipelineSpec; sourceHash: string }
  | {
      action: 'update';
      name: string;
      file: string;
      spec: PipelineSpec;
      sourceHash: string;
      stored: SyncedPipeline;
      /** The definition differs from the active version's: register (or find) it and activate it. */
      definition: boolean;
      metadata: MetadataField[];
    }
  | { action: 'unchanged'; name: string; file: string; skipped: boolean }
  | { action: 'prune'; name: string; stored: SyncedPipeline };

export interface Plan {
  items: PlanItem[];
  /** Pipelines of the project that no file defines, left alone because --prune was not given. */
  notInCode: string[];
}

/**
 * Which files can be skipped without evaluation: the file's source hash is the source hash of
 * exactly one pipeline's ACTIVE version, and no other file has the same text. One file defines one
 * pipeline (its default export) and evaluating the same text gives the same pipeline, so that
 * pipeline is the file's, and it is in sync (metadata included, since it lives in the same text).
 * A hash that matches only an older version (the file was reverted) is evaluated: the older
 * version must be activated again.
 */
export function skippable(files: SourceFile[], stored: SyncedPipeline[]): Map<string, SyncedPipeline> {
  const bySource = new Map<string, SyncedPipeline[]>();
  for (const p of stored) if (p.activeSourceHash) bySource.set(p.activeSourceHash, [...(bySource.get(p.activeSourceHash) ?? []), p]);
  const copies = new Map<string, number>();
  for (const f of files) copies.set(f.sourceHash, (copies.get(f.sourceHash) ?? 0) + 1);
  const skip = new Map<string, SyncedPipeline>();
  for (const f of files) {
    const owners = bySource.get(f.sourceHash);
    if (owners?.length === 1 && copies.get(f.sourceHash) === 1) skip.set(f.file, owners[0]!);
  }
  return skip;
}

/** Files that define the same pipeline name: each is reported with the other files' names. */
export function duplicateNames(code: CodePipeline[]): { file: string; message: string }[] {
  const files = new Map<string, string[]>();
  for (const c of code) files.set(c.name, [...(files.get(c.name) ?? []), c.file]);
  return code
    .filter((c) => files.get(c.name)!.length > 1)
    .map((c) => ({
      file: c.file,
      message: `pipeline "${c.name}" is also defined in ${files
        .get(c.name)!
        .filter((f) => f !== c.file)
        .join(', ')}`,
    }));
}

export const definitionOf = (spec: PipelineSpec): PipelineDefinition => ({ stages: spec.stages });

export const metadataOf = (spec: PipelineSpec): PipelineMetadata => ({
  // Code is the source of truth: a field left out of the file clears it in the store.
  description: spec.description ?? null,
  schedule: spec.schedule ?? null,
  timezone: spec.timezone ?? 'UTC',
  // The exception: pausing is an operator's act (API, console), and a file that does not mention
  // scheduleEnabled leaves it as it is.
  ...(spec.scheduleEnabled !== undefined && { scheduleEnabled: spec.scheduleEnabled }),
  labels: spec.labels ?? {},
});

function sameLabels(a: Record<string, string>, b: Record<string, string>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => Object.hasOwn(b, k) && a[k] === b[k]);
}

export function computePlan(code: CodePipeline[], stored: SyncedPipeline[], prune: boolean): Plan {
  const byName = new Map(stored.map((p) => [p.name, p]));
  const items: PlanItem[] = [];
  for (const c of code) {
    const current = byName.get(c.name);
    if (!c.spec) items.push({ action: 'unchanged', name: c.name, file: c.file, skipped: true });
    else if (!current) items.push({ action: 'create', name: c.name, file: c.file, spec: c.spec, sourceHash: c.sourceHash });
    else {
      const wanted = metadataOf(c.spec);
      const metadata: MetadataField[] = [];
      if (wanted.description !== current.description) metadata.push('description');
      if (wanted.schedule !== current.schedule) metadata.push('schedule');
      if (wanted.timezone !== current.timezone) metadata.push('timezone');
      if (wanted.scheduleEnabled !== undefined && wanted.scheduleEnabled !== current.scheduleEnabled) metadata.push('scheduleEnabled');
      if (!sameLabels(wanted.labels, current.labels)) metadata.push('labels');
      const definition = contentHash(definitionOf(c.spec)) !== current.activeHash;
      items.push(
        definition || metadata.length
          ? { action: 'update', name: c.name, file: c.file, spec: c.spec, sourceHash: c.sourceHash, stored: current, definition, metadata }
          : { action: 'unchanged', name: c.name, file: c.file, skipped: false },
      );
    }
  }
  const inCode = new Set(code.map((c) => c.name));
  const extra = stored.filter((p) => !inCode.has(p.name));
  if (prune) items.push(...extra.map((p): PlanItem => ({ action: 'prune', name: p.name, stored: p })));
  return { items, notInCode: prune ? [] : extra.map((p) => p.name) };
}

export const pendingChanges = (plan: Plan) => plan.items.filter((i) => i.action !== 'unchanged').length;

/** What happened to one pipeline, for the report. */
export interface Outcome {
  name: string;
  /** The active version after the sync, when this sync set it. */
  version?: number;
  /** False when the definition matched an existing older version, which was activated again. */
  newVersion?: boolean;
}

export async function applyPlan(plan: Plan, writer: StoreWriter, onStep: (done: number, total: number) => void): Promise<Outcome[]> {
  const work = plan.items.filter((i) => i.action !== 'unchanged');
  const outcomes: Outcome[] = [];
  for (const [index, item] of work.entries()) {
    onStep(index, work.length);
    if (item.action === 'create') {
      const { version } = await writer.create({ name: item.name, ...metadataOf(item.spec), definition: definitionOf(item.spec), sourceHash: item.sourceHash });
      outcomes.push({ name: item.name, version, newVersion: true });
    } else if (item.action === 'update') {
      const { stored } = item;
      let revision = stored.revision;
      const outcome: Outcome = { name: item.name };
      if (item.definition) {
        const { number, created } = await writer.registerVersion(stored.id, definitionOf(item.spec), item.sourceHash);
        if (number !== stored.activeVersion) revision = await writer.activate(stored.id, number, revision);
        Object.assign(outcome, { version: number, newVersion: created });
      }
      if (item.metadata.length) {
        const wanted = metadataOf(item.spec);
        revision = await writer.update(stored.id, Object.fromEntries(item.metadata.map((f) => [f, wanted[f]])), revision);
      }
      outcomes.push(outcome);
    } else if (item.action === 'prune') {
      await writer.remove(item.stored.id, item.stored.revision);
      outcomes.push({ name: item.name });
    }
  }
  onStep(work.length, work.length);
  return outcomes;
}
