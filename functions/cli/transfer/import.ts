import { and, eq, getTableColumns, inArray, sql } from 'drizzle-orm';
import { toSnakeCase } from 'drizzle-orm/casing';
import type { PgTable } from 'drizzle-orm/pg-core';
import type { Db, DbOrTx } from '../../../db/client';
import { dlq, pipelineRuns, pipelines, pipelineVersions, taskRuns, type PipelineDefinition } from '../../../db/schema';
import type { TransferCounts } from './export';
import { FILES } from './format';
import type { PipelinePlan, Tree } from './read-tree';

// Multi-row INSERTs of at most 500 rows and about 1 MB of JSON per statement: huge definitions or
// run inputs make smaller statements instead of one enormous one (the Data API caps a request).
const CHUNK_ROWS = 500;
const CHUNK_BYTES = 1_000_000;

/**
 * The checks that need the database, added to the tree's problems: a pipeline name already taken
 * in the target project, and ids already present anywhere in the database (ids are primary keys,
 * and import keeps them). Read-only; runs before the write transaction so that every problem is
 * reported at once rather than the first constraint violation. Collisions are reported once per
 * file and kind: re-importing a whole export would otherwise print one line per row.
 */
export async function checkAgainstDatabase(db: DbOrTx, projectId: string, tree: Tree, progress: (m: string) => void) {
  type Owner = { name: string; line?: number };
  const owners = {
    pipeline: new Map<string, Owner>(),
    version: new Map<string, Owner>(),
    run: new Map<string, Owner>(),
    'task run': new Map<string, Owner>(),
    'DLQ entry': new Map<string, Owner>(),
  };
  for (const [name, { record, runs }] of tree.pipelines) {
    owners.pipeline.set(record.id, { name });
    for (const v of record.versions) owners.version.set(v.id, { name });
    for (const { line, record: run } of runs) {
      owners.run.set(run.id, { name, line });
      for (const t of run.taskRuns) owners['task run'].set(t.id, { name, line });
      for (const d of run.dlq) owners['DLQ entry'].set(d.id, { name, line });
    }
  }

  for (const chunk of slices([...tree.pipelines.keys()], CHUNK_ROWS)) {
    const taken = await db
      .select({ name: pipelines.name })
      .from(pipelines)
      .where(and(eq(pipelines.projectId, projectId), inArray(pipelines.name, chunk)));
    for (const { name } of taken) {
      const reason = `a pipeline named "${name}" already exists in project ${projectId}`;
      tree.problems.push({ file: `${FILES.versions}/${name}.json`, reason, scope: { kind: 'pipeline', name } });
    }
  }
  const tables = [
    ['pipeline', pipelines],
    ['version', pipelineVersions],
    ['run', pipelineRuns],
    ['task run', taskRuns],
    ['DLQ entry', dlq],
  ] as const;
  for (const [kind, table] of tables) {
    progress(`checking ${kind} ids against the database`);
    const collisions = new Map<string, { ids: string[]; lines: Set<number> }>();
    for (const chunk of slices([...owners[kind].keys()], CHUNK_ROWS)) {
      for (const { id } of await db.select({ id: table.id }).from(table).where(inArray(table.id, chunk))) {
        const owner = owners[kind].get(id)!;
        const group = collisions.get(owner.name) ?? { ids: [], lines: new Set<number>() };
        group.ids.push(id);
        if (owner.line !== undefined) group.lines.add(owner.line);
        collisions.set(owner.name, group);
      }
    }
    for (const [name, { ids, lines }] of collisions) {
      const reason = `${ids.length} ${kind} id(s) already exist in the database (${ids.slice(0, 3).join(', ')}${ids.length > 3 ? ', …' : ''})`;
      if (kind === 'pipeline' || kind === 'version') {
        tree.problems.push({ file: `${FILES.versions}/${name}.json`, reason, scope: { kind: 'pipeline', name } });
      } else {
        const at = [...lines].sort((a, b) => a - b);
        const where = at.length === 1 ? { line: at[0]! } : {};
        tree.problems.push({ file: `${FILES.runs}/${name}.jsonl`, reason, scope: { kind: 'runs', name, lines: at }, ...where });
      }
    }
  }
}

export interface Resolved {
  pipelines: PipelinePlan[];
  counts: TransferCounts;
  skipped: { pipelines: string[]; runs: number };
}

/** What is left once every problem's scope is dropped (used as is when there are no problems). */
export function resolveTree(tree: Tree): Resolved {
  const badPipelines = new Set<string>();
  const badRuns = new Set<string>();
  for (const { scope } of tree.problems) {
    if (scope.kind === 'pipeline') badPipelines.add(scope.name);
    if (scope.kind === 'run') badRuns.add(`${scope.name}:${scope.line}`);
    if (scope.kind === 'runs') for (const line of scope.lines) badRuns.add(`${scope.name}:${line}`);
  }
  const counts: TransferCounts = { pipelines: 0, versions: 0, images: 0, runs: 0, taskRuns: 0, dlq: 0 };
  const images = new Set<string>();
  const kept: PipelinePlan[] = [];
  let skippedRuns = badRuns.size + tree.orphanRuns;
  for (const [name, plan] of tree.pipelines) {
    if (badPipelines.has(name)) {
      skippedRuns += plan.runs.filter((r) => !badRuns.has(`${name}:${r.line}`)).length;
      continue;
    }
    const runs = plan.runs.filter((r) => !badRuns.has(`${name}:${r.line}`));
    kept.push({ record: plan.record, runs });
    counts.pipelines++;
    counts.versions += plan.record.versions.length;
    for (const v of plan.record.versions) images.add(v.hash);
    counts.runs += runs.length;
    for (const { record } of runs) {
      counts.taskRuns += record.taskRuns.length;
      counts.dlq += record.dlq.length;
    }
  }
  counts.images = images.size;
  return { pipelines: kept, counts, skipped: { pipelines: [...badPipelines].sort(), runs: skippedRuns } };
}

/** Every column of the table, present (a missing one would become NULL, not its default). */
type Row<T extends PgTable> = { [K in keyof T['$inferInsert']]-?: unknown };

/**
 * Writes everything in one transaction: all or nothing. Statements are awaited one after the
 * other (the Data API cannot run two statements of one transaction at once) and no prepared
 * statement is reused (the Data API driver's shared prepared statements are broken). Timestamps
 * stay ISO strings: Postgres parses them, so no Date round trip can shift them.
 */
export async function writeImport(db: Db, projectId: string, plan: PipelinePlan[], images: Map<string, PipelineDefinition>, progress: (m: string) => void) {
  const pipelineRows = plan.map(
    ({ record: p }): Row<typeof pipelines> => ({
      ...p,
      projectId,
      // Set below: the version rows need their pipeline first.
      activeVersionId: null,
      // Imported activations are made by no API key (the history records them with a null key).
      activatedByKeyId: null,
      // An imported schedule starts at the import: the slots it missed elsewhere never fire here.
      scheduleSince: new Date().toISOString(),
      scheduleNextAt: null,
      lastScheduledFor: null,
    }),
  );
  const versionRows = plan.flatMap(({ record: p }) =>
    p.versions.map((v): Row<typeof pipelineVersions> => ({ ...v, projectId, pipelineId: p.id, definition: images.get(v.hash)! })),
  );
  const active = plan.flatMap(({ record: p }) => (p.activeVersion === null ? [] : [[p.id, p.versions[p.activeVersion - 1]!.id] as const]));
  const runRows = plan.flatMap(({ record: p, runs }) =>
    runs.map(({ record: r }): Row<typeof pipelineRuns> => ({ ...r, projectId, pipelineId: p.id, versionId: p.versions[r.version - 1]!.id })),
  );
  const allRuns = plan.flatMap(({ runs }) => runs.map(({ record }) => record));
  const taskRunRows = allRuns.flatMap((r) => r.taskRuns.map((t): Row<typeof taskRuns> => ({ ...t, projectId, runId: r.id })));
  const dlqRows = allRuns.flatMap((r) => r.dlq.map((d): Row<typeof dlq> => ({ ...d, projectId, runId: r.id })));

  await db.transaction(async (tx) => {
    await insertAll(tx, pipelines, pipelineRows, 'pipelines', progress);
    await insertAll(tx, pipelineVersions, versionRows, 'versions', progress);
    for (const chunk of slices(active, CHUNK_ROWS)) {
      const values = sql.join(
        chunk.map(([pipelineId, versionId]) => sql`(${pipelineId}::text, ${versionId}::text)`),
        sql`, `,
      );
      await tx.execute(
        sql`update pipelines set active_version_id = a.version_id from (values ${values}) as a(pipeline_id, version_id) where pipelines.id = a.pipeline_id`,
      );
    }
    await insertAll(tx, pipelineRuns, runRows, 'runs', progress);
    await insertAll(tx, taskRuns, taskRunRows, 'task runs', progress);
    await insertAll(tx, dlq, dlqRows, 'DLQ entries', progress);
  });
}

/**
 * Multi-row inserts that ship each chunk as ONE JSON parameter expanded by
 * json_populate_recordset: no per-row statement building (what makes Drizzle's
 * `insert().values([...])` slow on large imports, see `npm run bench:transfer`), and one parameter
 * per statement whatever the width of the table. Column names come from the schema through
 * Drizzle's own snake_case rule.
 */
async function insertAll<T extends PgTable>(tx: DbOrTx, table: T, rows: Row<T>[], label: string, progress: (m: string) => void) {
  const keys = Object.keys(getTableColumns(table)) as (keyof Row<T>)[];
  const names = keys.map((key) => toSnakeCase(String(key)));
  const columns = sql.join(
    names.map((name) => sql.identifier(name)),
    sql`, `,
  );
  const encoded = rows.map((row) => JSON.stringify(Object.fromEntries(keys.map((key, i) => [names[i], row[key] ?? null]))));
  let done = 0;
  for (const chunk of chunks(encoded)) {
    await tx.execute(sql`insert into ${table} (${columns}) select ${columns} from json_populate_recordset(null::${table}, ${`[${chunk.join(',')}]`}::json)`);
    done += chunk.length;
    progress(`writing ${label}: ${done}/${rows.length}`);
  }
}

/** Consecutive slices of at most CHUNK_ROWS encoded rows and about CHUNK_BYTES. */
function* chunks(rows: string[]): Generator<string[]> {
  let current: string[] = [];
  let bytes = 0;
  for (const row of rows) {
    if (current.length > 0 && (current.length >= CHUNK_ROWS || bytes + row.length > CHUNK_BYTES)) {
      yield current;
      current = [];
      bytes = 0;
    }
    current.push(row);
    bytes += row.length;
  }
  if (current.length > 0) yield current;
}

function* slices<T>(items: T[], size: number): Generator<T[]> {
  for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
}
