import { appendFile, mkdir, readdir, readFile, rename, rm, rmdir, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { and, eq, gt, inArray } from 'drizzle-orm';
import type { DbOrTx } from '../../../db/client';
import { dlq, pipelineRuns, pipelines, pipelineVersions, taskRuns } from '../../../db/schema';
import { toDlqEntry } from '../../core/dlq';
import { contentHash } from '../../core/hashing';
import { toRun, toTaskRun } from '../../core/run-views';
import { FILES, FORMAT, canonicalLine, iso, prettyJson, type DlqRecord, type PipelineFile, type RunRecord, type TaskRunRecord } from './format';

export interface TransferCounts {
  pipelines: number;
  versions: number;
  images: number;
  runs: number;
  taskRuns: number;
  dlq: number;
}

// Keyset pages on the primary key (the index serves both the range and the order): bounded
// memory whatever the size of the project, and every page is one short statement (the Data API
// caps a response at 1 MiB, hence the small pages for versions, which carry definitions).
const PAGE = { pipelines: 500, versions: 100, runs: 1000 } as const;

type Progress = (message: string) => void;

/** Byte order, as RFC 8785 sorts keys: the same on every server, whatever its collation. */
const byteOrder = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/** Keyset pagination by id: `fetch` returns the rows after `after` (all when undefined), by id. */
async function* pages<T extends { id: string }>(size: number, fetch: (after: string | undefined, limit: number) => Promise<T[]>) {
  for (let after: string | undefined; ; ) {
    const page = await fetch(after, size);
    if (page.length > 0) yield page;
    if (page.length < size) return;
    after = page.at(-1)!.id;
  }
}

/** The tables read whole for a project, each keyed by `id` and scoped by `project_id`. */
type ProjectTable = typeof pipelines | typeof pipelineVersions | typeof pipelineRuns;

/** A project's rows of `table` in keyset pages by id. */
function projectPages<T extends ProjectTable>(tx: DbOrTx, table: T, projectId: string, size: number) {
  const scoped = table as ProjectTable;
  return pages(
    size,
    (after, limit) =>
      tx
        .select()
        .from(scoped)
        .where(and(eq(scoped.projectId, projectId), after === undefined ? undefined : gt(scoped.id, after)))
        .orderBy(scoped.id)
        .limit(limit) as Promise<T['$inferSelect'][]>,
  );
}

/**
 * Writes the project's pipelines, versions, images and runs as the tree of format.ts into `dir`
 * (which must exist and be empty). Reads run in one read-only REPEATABLE READ transaction, so the
 * tree is a consistent snapshot even while the API keeps writing.
 */
export async function exportProject(db: DbOrTx, projectId: string, dir: string, progress: Progress) {
  const counts: TransferCounts = { pipelines: 0, versions: 0, images: 0, runs: 0, taskRuns: 0, dlq: 0 };
  const warnings: string[] = [];
  await db.transaction(
    async (tx) => {
      const job: ExportJob = { tx, projectId, dir, counts, warnings, progress };
      const pipelinesById = await readPipelines(job);
      const versions = await writeImages(job, pipelinesById);
      const names = await writePipelineFiles(job, pipelinesById, versions);
      const written = await writeRuns(job, names, versions);
      await sortRunFiles(dir, written);
      await writeFile(join(dir, FILES.manifest), prettyJson(FORMAT));
    },
    { isolationLevel: 'repeatable read', accessMode: 'read only' },
  );
  return { counts, warnings };
}

/** What every step of one export shares: its snapshot, its target and what it reports. */
interface ExportJob {
  tx: DbOrTx;
  projectId: string;
  dir: string;
  counts: TransferCounts;
  warnings: string[];
  progress: Progress;
}

type ExportedPipeline = PipelineFile & { activeVersionId: string | null };
/** A version's number and content hash, by version id. */
type VersionIndex = Map<string, { number: number; hash: string }>;

/** The pipelines' metadata; their versions are attached by writeImages. */
async function readPipelines({ tx, projectId, counts }: ExportJob): Promise<Map<string, ExportedPipeline>> {
  const byId = new Map<string, ExportedPipeline>();
  const pipelinePages = projectPages(tx, pipelines, projectId, PAGE.pipelines);
  for await (const page of pipelinePages) {
    for (const p of page) {
      byId.set(p.id, {
        id: p.id,
        name: p.name,
        description: p.description,
        schedule: p.schedule,
        timezone: p.timezone,
        scheduleEnabled: p.scheduleEnabled,
        labels: p.labels,
        activeVersion: null,
        activeVersionId: p.activeVersionId,
        revision: p.revision,
        createdAt: iso(p.createdAt),
        updatedAt: iso(p.updatedAt),
        versions: [],
      });
    }
  }
  counts.pipelines = byId.size;
  return byId;
}

/** Versions, attached to their pipelines, and their images: one file per distinct definition. */
async function writeImages(job: ExportJob, byId: Map<string, ExportedPipeline>): Promise<VersionIndex> {
  const { tx, projectId, dir, counts } = job;
  await mkdir(join(dir, FILES.images));
  const images = new Set<string>();
  const versionHashes: VersionIndex = new Map();
  const versionPages = projectPages(tx, pipelineVersions, projectId, PAGE.versions);
  for await (const page of versionPages) {
    for (const v of page) {
      const pipeline = byId.get(v.pipelineId);
      if (!pipeline) continue;
      // The tree is content-addressed by what is stored, whatever hash an older writer recorded.
      const hash = contentHash(v.definition);
      if (hash !== v.hash)
        job.warnings.push(`version ${v.number} of "${pipeline.name}": stored hash ${v.hash} does not match its definition; exported as ${hash}`);
      if (!images.has(hash)) {
        images.add(hash);
        await writeFile(join(dir, FILES.images, `${hash}.json`), canonicalLine(v.definition));
      }
      pipeline.versions.push({ id: v.id, number: v.number, hash, sourceHash: v.sourceHash, createdAt: iso(v.createdAt) });
      versionHashes.set(v.id, { number: v.number, hash });
    }
    counts.versions += page.length;
    job.progress(`exporting versions: ${counts.versions}`);
  }
  counts.images = images.size;
  return versionHashes;
}

/** versions/<name>.json and aliases.json; returns each pipeline's name by id. */
async function writePipelineFiles({ dir }: ExportJob, byId: Map<string, ExportedPipeline>, versions: VersionIndex): Promise<Map<string, string>> {
  await mkdir(join(dir, FILES.versions));
  const aliases: Record<string, string> = {};
  const names = new Map<string, string>();
  for (const { activeVersionId, ...pipeline } of byId.values()) {
    pipeline.versions.sort((a, b) => a.number - b.number);
    const active = activeVersionId ? versions.get(activeVersionId) : undefined;
    pipeline.activeVersion = active?.number ?? null;
    if (active) aliases[pipeline.name] = active.hash;
    names.set(pipeline.id, pipeline.name);
    await writeFile(join(dir, FILES.versions, `${pipeline.name}.json`), prettyJson(pipeline));
  }
  await writeFile(join(dir, FILES.aliases), prettyJson(aliases));
  return names;
}

/** runs/<name>.jsonl, with task runs and DLQ entries nested in each run; returns the run ids written per file. */
async function writeRuns(job: ExportJob, names: Map<string, string>, versions: VersionIndex): Promise<Map<string, string[]>> {
  const { tx, projectId, dir, counts } = job;
  await mkdir(join(dir, FILES.runs));
  const written = new Map<string, string[]>();
  const runPages = projectPages(tx, pipelineRuns, projectId, PAGE.runs);
  for await (const page of runPages) {
    const pageTasks = await tx
      .select()
      .from(taskRuns)
      .where(
        and(
          eq(taskRuns.projectId, projectId),
          inArray(
            taskRuns.runId,
            page.map((r) => r.id),
          ),
        ),
      );
    // By task run: dlq has an index on task_run_id, none on run_id.
    const pageDlq = pageTasks.length
      ? await tx
          .select()
          .from(dlq)
          .where(
            and(
              eq(dlq.projectId, projectId),
              inArray(
                dlq.taskRunId,
                pageTasks.map((t) => t.id),
              ),
            ),
          )
      : [];
    const tasksOf = groupBy(pageTasks, (t) => t.runId);
    const dlqOf = groupBy(pageDlq, (d) => d.runId);
    const lines = new Map<string, string[]>();
    for (const run of page) {
      const name = names.get(run.pipelineId);
      const version = versions.get(run.versionId);
      if (!name || !version) continue;
      const record = toRunRecord(run, version.number, tasksOf.get(run.id) ?? [], dlqOf.get(run.id) ?? []);
      counts.taskRuns += record.taskRuns.length;
      counts.dlq += record.dlq.length;
      counts.runs++;
      const file = lines.get(name) ?? [];
      file.push(canonicalLine(record));
      lines.set(name, file);
      const ids = written.get(name) ?? [];
      ids.push(run.id);
      written.set(name, ids);
    }
    for (const [name, text] of lines) await appendFile(join(dir, FILES.runs, `${name}.jsonl`), text.join(''));
    job.progress(`exporting runs: ${counts.runs}`);
  }
  return written;
}

/**
 * Pages come in the database's collation; files list runs in byte order of their ids. The two
 * agree for pipestore's own ids, so this rewrites a file only for unusual imported ids.
 */
async function sortRunFiles(dir: string, written: Map<string, string[]>) {
  for (const [name, ids] of written) {
    if (ids.every((id, i) => i === 0 || byteOrder(ids[i - 1]!, id) < 0)) continue;
    const path = join(dir, FILES.runs, `${name}.jsonl`);
    const text = (await readFile(path, 'utf8')).split('\n').slice(0, -1);
    const order = ids.map((id, i) => [id, text[i]!] as const).sort(([a], [b]) => byteOrder(a, b));
    await writeFile(path, order.map(([, line]) => `${line}\n`).join(''));
  }
}

/**
 * The API's own views of a run and a task run, minus what the file layout already says (the
 * pipeline is the file, the run is the enclosing line): one mapping to keep in step, not two.
 */
const toRunRecord = (
  run: typeof pipelineRuns.$inferSelect,
  version: number,
  tasks: (typeof taskRuns.$inferSelect)[],
  entries: (typeof dlq.$inferSelect)[],
): RunRecord => {
  const { pipelineId: _pipeline, ...record } = toRun({ ...run, version });
  return {
    ...record,
    taskRuns: tasks.sort((a, b) => byteOrder(a.id, b.id)).map(toTaskRunRecord),
    dlq: entries.sort((a, b) => byteOrder(a.id, b.id)).map(toDlqRecord),
  };
};

const toTaskRunRecord = (t: typeof taskRuns.$inferSelect): TaskRunRecord => {
  const { runId: _run, ...record } = toTaskRun(t);
  return record;
};

const toDlqRecord = (d: typeof dlq.$inferSelect): DlqRecord => {
  const { runId: _run, ...record } = toDlqEntry(d);
  return record;
};

function groupBy<T>(rows: T[], key: (row: T) => string): Map<string, T[]> {
  const groups = new Map<string, T[]>();
  for (const row of rows) {
    const list = groups.get(key(row));
    if (list) list.push(row);
    else groups.set(key(row), [row]);
  }
  return groups;
}

/**
 * Runs `write` into a fresh sibling directory and renames it to `target` only when it succeeded:
 * a failed export never leaves half a tree where an import could pick it up. `target` must not
 * exist or be empty; we never delete anything we did not create.
 */
export async function writeTreeAtomically<T>(target: string, write: (dir: string) => Promise<T>): Promise<T> {
  const absolute = resolve(target);
  const existing = await readdir(absolute).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') return undefined;
    throw err;
  });
  if (existing && existing.length > 0) throw new TargetNotEmptyError(target);
  await mkdir(dirname(absolute), { recursive: true });
  const staging = join(dirname(absolute), `.${basename(absolute)}.partial-${process.pid}`);
  await rm(staging, { recursive: true, force: true });
  await mkdir(staging);
  try {
    const result = await write(staging);
    if (existing) await rmdir(absolute);
    await rename(staging, absolute);
    return result;
  } catch (err) {
    await rm(staging, { recursive: true, force: true });
    throw err;
  }
}

export class TargetNotEmptyError extends Error {
  constructor(readonly target: string) {
    super(`${target} is not empty: export writes into a new or empty directory`);
  }
}
