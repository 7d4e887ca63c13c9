import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { z } from 'zod';
import type { PipelineDefinition } from '../../../db/schema';
import { DefinitionSchema, definitionErrors } from '../../core/definitions';
import { issueReasons } from '../../core/field-errors';
import { contentHash } from '../../core/hashing';
import {
  AliasesSchema,
  FILES,
  ManifestSchema,
  PipelineFileSchema,
  RunRecordSchema,
  hash as hashSchema,
  slug,
  type PipelineFile,
  type RunRecord,
} from './format';

/**
 * What skipping a problem costs (`--skip-invalid`): nothing else (`ignore`), one pipeline with its
 * versions and runs, one run line with its task runs and DLQ entries, or everything (`fatal`:
 * the directory is not an export we can read, which no flag overrides).
 */
export type Scope =
  | { kind: 'fatal' }
  | { kind: 'ignore' }
  | { kind: 'pipeline'; name: string }
  | { kind: 'run'; name: string; line: number }
  | { kind: 'runs'; name: string; lines: number[] };

export interface Problem {
  /** Relative to the export directory, e.g. `runs/build.jsonl`. */
  file: string;
  line?: number;
  reason: string;
  scope: Scope;
}

export interface RunLine {
  line: number;
  record: RunRecord;
}

export interface PipelinePlan {
  record: PipelineFile;
  runs: RunLine[];
}

export interface Tree {
  images: Map<string, PipelineDefinition>;
  /** By name: every versions file that parsed, valid or not (its problems say whether it is). */
  pipelines: Map<string, PipelinePlan>;
  /** Run lines of pipelines whose versions file did not parse: skipped with them. */
  orphanRuns: number;
  problems: Problem[];
  warnings: string[];
}

type Progress = (message: string) => void;

/** Reads and validates the whole tree without touching the database. Never throws for bad content. */
export async function readTree(dir: string, progress: Progress): Promise<Tree> {
  const tree: Tree = { images: new Map(), pipelines: new Map(), orphanRuns: 0, problems: [], warnings: [] };
  const reading: Reading = {
    dir,
    tree,
    progress,
    ids: new IdRegistry(),
    problem: (file, reason, scope, line) => tree.problems.push({ file, reason, scope, ...(line !== undefined && { line }) }),
  };
  const manifest = shaped(await readJson(join(dir, FILES.manifest)), ManifestSchema);
  if (!manifest.ok) {
    reading.problem(FILES.manifest, `not a pipestore export: ${manifest.reason}`, { kind: 'fatal' });
    return tree;
  }
  const invalidImages = await readImages(reading);
  const versionFiles = await readPipelineFiles(reading, invalidImages);
  await checkAliases(reading, versionFiles);
  await readRunFiles(reading, versionFiles);
  return tree;
}

/** One reading of a tree: where it is, what it found so far, the ids it has seen. */
interface Reading {
  dir: string;
  tree: Tree;
  progress: Progress;
  ids: IdRegistry;
  problem(file: string, reason: string, scope: Scope, line?: number): void;
}

/** images/<hash>.json: the hash in the name must be the SHA-256 of the canonical definition. Returns the invalid ones. */
async function readImages({ dir, tree, problem, progress }: Reading): Promise<Set<string>> {
  const invalidImages = new Set<string>();
  const imageFiles = await listFiles(dir, FILES.images, '.json', tree.warnings);
  for (const [i, name] of imageFiles.entries()) {
    const file = `${FILES.images}/${name}.json`;
    if (!hashSchema.safeParse(name).success) {
      problem(file, 'the file name must be the definition hash: 64 lowercase hex digits + ".json"', { kind: 'ignore' });
      continue;
    }
    const reason = await checkImage(join(dir, file), name, tree.images);
    if (reason) {
      invalidImages.add(name);
      problem(file, reason, { kind: 'ignore' });
    }
    if (i % 100 === 0) progress(`checking images: ${i}/${imageFiles.length}`);
  }
  return invalidImages;
}

/** versions/<name>.json: one pipeline each. Returns the names that have a file, parsed or not. */
async function readPipelineFiles({ dir, tree, problem, progress, ids }: Reading, invalidImages: Set<string>): Promise<Set<string>> {
  const versionFiles = await listFiles(dir, FILES.versions, '.json', tree.warnings);
  for (const [i, name] of versionFiles.entries()) {
    const file = `${FILES.versions}/${name}.json`;
    const scope: Scope = { kind: 'pipeline', name };
    if (i % 100 === 0) progress(`checking pipelines: ${i}/${versionFiles.length}`);
    if (!slug.safeParse(name).success) {
      problem(file, 'the file name must be the pipeline name (a slug) + ".json"', scope);
      continue;
    }
    const parsed = shaped(await readJson(join(dir, file)), PipelineFileSchema);
    if (!parsed.ok) {
      problem(file, parsed.reason, scope);
      continue;
    }
    const record = parsed.value;
    tree.pipelines.set(name, { record, runs: [] });
    for (const reason of pipelineErrors(record, name, tree.images, invalidImages)) problem(file, reason, scope);
    for (const reason of [ids.claim('pipeline', record.id, file), ...record.versions.map((v) => ids.claim('version', v.id, file))])
      if (reason) problem(file, reason, scope);
  }
  return new Set(versionFiles);
}

/** aliases.json: must agree with the active version of every pipeline. */
async function checkAliases({ dir, tree, problem }: Reading, hasVersionFile: Set<string>) {
  const aliases = shaped(await readJson(join(dir, FILES.aliases)), AliasesSchema);
  if (!aliases.ok) {
    problem(FILES.aliases, aliases.reason, { kind: 'ignore' });
    return;
  }
  const map = aliases.value;
  for (const name of Object.keys(map).sort())
    if (!hasVersionFile.has(name)) problem(FILES.aliases, `"${name}" has no ${FILES.versions}/${name}.json`, { kind: 'ignore' });
  for (const [name, { record }] of tree.pipelines) {
    const active = record.activeVersion === null ? undefined : record.versions[record.activeVersion - 1];
    if (map[name] === active?.hash) continue;
    const says = map[name] ? `points "${name}" to ${map[name]}` : `has no entry for "${name}"`;
    const but = active ? `activates version ${active.number} (${active.hash})` : 'has no active version';
    problem(FILES.aliases, `${says}, but ${FILES.versions}/${name}.json ${but}`, { kind: 'pipeline', name });
  }
}

/** runs/<name>.jsonl: one run per line. */
async function readRunFiles({ dir, tree, problem, progress, ids }: Reading, hasVersionFile: Set<string>) {
  const runFiles = await listFiles(dir, FILES.runs, '.jsonl', tree.warnings);
  let checked = 0;
  for (const name of runFiles) {
    const file = `${FILES.runs}/${name}.jsonl`;
    const pipeline = tree.pipelines.get(name);
    if (!hasVersionFile.has(name)) {
      problem(file, `no ${FILES.versions}/${name}.json for these runs`, { kind: 'ignore' });
      continue;
    }
    const lines = (await readFile(join(dir, file), 'utf8')).split('\n');
    for (const [index, text] of lines.entries()) {
      if (text.trim() === '') continue;
      const line = index + 1;
      const scope: Scope = { kind: 'run', name, line };
      const parsed = shaped(parseJson(text), RunRecordSchema);
      if (!parsed.ok) {
        problem(file, parsed.reason, scope, line);
        continue;
      }
      const record = parsed.value;
      const where = `${file}:${line}`;
      const errors = [
        ...(pipeline ? runErrors(record, pipeline.record, tree.images) : []),
        ids.claim('run', record.id, where),
        ...record.taskRuns.map((t) => ids.claim('task run', t.id, where)),
        ...record.dlq.map((d) => ids.claim('DLQ entry', d.id, where)),
      ].filter((e): e is string => e !== undefined);
      for (const reason of errors) problem(file, reason, scope, line);
      if (pipeline) pipeline.runs.push({ line, record });
      else if (errors.length === 0) tree.orphanRuns++; // (with errors, it is counted as a problem)
      if (++checked % 1000 === 0) progress(`checking runs: ${checked}`);
    }
  }
}

async function checkImage(path: string, name: string, images: Map<string, PipelineDefinition>): Promise<string | undefined> {
  const parsed = await readJson(path);
  if (!parsed.ok) return parsed.reason;
  const shape = DefinitionSchema.safeParse(parsed.value);
  if (!shape.success) return `not a valid definition: ${reasons(shape.error)}`;
  const semantic = definitionErrors(shape.data).map((e) => `${e.path.replace(/^definition\./, '')}: ${e.message}`);
  if (semantic.length) return `not a valid definition: ${semantic.join('; ')}`;
  const actual = contentHash(shape.data);
  if (actual !== name) return `content hash mismatch: the canonical JSON hashes to ${actual}`;
  images.set(name, shape.data);
  return undefined;
}

function pipelineErrors(record: PipelineFile, name: string, images: Map<string, unknown>, invalid: Set<string>): string[] {
  const errors: string[] = [];
  if (record.name !== name) errors.push(`name is "${record.name}" but the file is named for "${name}"`);
  const hashes = new Set<string>();
  record.versions.forEach((v, i) => {
    if (v.number !== i + 1) errors.push(`versions.${i}: number ${v.number}, expected ${i + 1} (versions are numbered 1..n in order)`);
    if (hashes.has(v.hash)) errors.push(`versions.${i}: hash ${v.hash} appears twice`);
    hashes.add(v.hash);
    if (invalid.has(v.hash)) errors.push(`version ${v.number} uses ${FILES.images}/${v.hash}.json, which is invalid`);
    else if (!images.has(v.hash)) errors.push(`version ${v.number} uses ${FILES.images}/${v.hash}.json, which is missing`);
  });
  if (record.activeVersion !== null && record.activeVersion > record.versions.length)
    errors.push(`activeVersion ${record.activeVersion} does not exist (the last version is ${record.versions.length})`);
  return errors;
}

/** What the store's own writes guarantee: pinned version, known stages and tasks, unique attempts. */
function runErrors(run: RunRecord, pipeline: PipelineFile, images: Map<string, PipelineDefinition>): string[] {
  const errors: string[] = [];
  const version = pipeline.versions[run.version - 1];
  if (!version) return [`version ${run.version} does not exist in ${FILES.versions}/${pipeline.name}.json`];
  const definition = images.get(version.hash);
  const attempts = new Set<string>();
  const taskRunIds = new Set(run.taskRuns.map((t) => t.id));
  run.taskRuns.forEach((t, i) => {
    const stage = definition?.stages.find((s) => s.id === t.stageId);
    if (definition && !stage?.tasks?.some((task) => task.id === t.taskId))
      errors.push(`taskRuns.${i}: version ${run.version} has no task "${t.taskId}" in stage "${t.stageId}"`);
    const key = `${t.stageId}\u0000${t.taskId}\u0000${t.attempt}`;
    if (attempts.has(key)) errors.push(`taskRuns.${i}: attempt ${t.attempt} of ${t.stageId}/${t.taskId} appears twice`);
    attempts.add(key);
  });
  const dead = new Set<string>();
  run.dlq.forEach((d, i) => {
    if (!taskRunIds.has(d.taskRunId)) errors.push(`dlq.${i}: task run ${d.taskRunId} is not a task run of this run`);
    if (dead.has(d.taskRunId)) errors.push(`dlq.${i}: task run ${d.taskRunId} is dead-lettered twice`);
    dead.add(d.taskRunId);
    if (d.replayTaskRunId !== null && !taskRunIds.has(d.replayTaskRunId))
      errors.push(`dlq.${i}: replay task run ${d.replayTaskRunId} is not a task run of this run`);
  });
  return errors;
}

/** Ids are primary keys across the whole database, so they must be unique across the whole tree. */
class IdRegistry {
  private seen = new Map<string, string>();
  claim(kind: string, id: string, where: string): string | undefined {
    const key = `${kind}\u0000${id}`;
    const first = this.seen.get(key);
    if (first !== undefined) return `${kind} id ${id} is also used in ${first}`;
    this.seen.set(key, where);
    return undefined;
  }
}

/** Base names of `<dir>/<sub>/*<ext>`, sorted; anything else there is reported and ignored. */
async function listFiles(dir: string, sub: string, ext: string, warnings: string[]): Promise<string[]> {
  const entries = await readdir(join(dir, sub), { withFileTypes: true }).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return [];
    throw err;
  });
  const names: string[] = [];
  for (const entry of entries) {
    if (entry.isFile() && entry.name.endsWith(ext)) names.push(entry.name.slice(0, -ext.length));
    else warnings.push(`ignored ${sub}/${entry.name}: not a ${ext} file`);
  }
  return names.sort();
}

type Parsed<T = unknown> = { ok: true; value: T } | { ok: false; reason: string };

/** Parsed JSON checked against a zod schema, or the reasons it does not fit. */
function shaped<S extends z.ZodType>(parsed: Parsed, schema: S): Parsed<z.output<S>> {
  if (!parsed.ok) return parsed;
  const result = schema.safeParse(parsed.value);
  return result.success ? { ok: true, value: result.data } : { ok: false, reason: reasons(result.error) };
}

function parseJson(text: string): Parsed {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, reason: `not valid JSON: ${(err as Error).message}` };
  }
}

async function readJson(path: string): Promise<Parsed> {
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => err);
  if (typeof text !== 'string') return { ok: false, reason: text.code === 'ENOENT' ? 'the file is missing' : text.message };
  return parseJson(text);
}

/** At most a handful of zod issues per file: one broken file should not flood the report. */
const reasons = (error: z.ZodError): string => {
  const all = issueReasons(error.issues);
  return all.length > 5 ? `${all.slice(0, 5).join('; ')}; and ${all.length - 5} more` : all.join('; ');
};
