/**
 * Time to import an export of 500 pipelines with 10,000 runs, and to export it again, through the
 * real CLI (`node functions/cli/bin.mjs`, as an operator runs it) on the embedded store and on
 * PostgreSQL. The tree is generated in the exact format `export` writes, so the re-export must be
 * byte-identical to it: the benchmark checks that too.
 *
 *   npm run bench:transfer [-- --pipelines 500 --runs 10000 --json]
 *
 * PostgreSQL: TEST_DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test), in a scratch
 * database dropped at the end. Each figure is wall time of the subprocess (start-up and opening
 * the database included) with, in parentheses, the time the command itself reports.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createDatabase } from '../../db/client';
import { projects } from '../../db/schema';
import { FILES, FORMAT, canonicalLine, prettyJson, type PipelineFile, type RunRecord } from '../../functions/cli/transfer/format';
import { contentHash } from '../../functions/core/hashing';
import { newId } from '../../functions/core/ids';
import { jsonOf, runCli } from '../cli/support/run-cli';
import { createScratchDatabase } from '../support/scratch-database';
import { serverUrl } from './support/args';

const { values: args } = parseArgs({
  options: {
    pipelines: { type: 'string', default: '500' },
    runs: { type: 'string', default: '10000' },
    json: { type: 'boolean', default: false },
  },
});
const PIPELINES = Number(args.pipelines);
const RUNS = Number(args.runs);
const PROJECT = 'proj_bench_transfer';
// Fixed, so two generated trees of the same size are the same apart from the ids.
const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();
const byId = <T extends { id: string }>(a: T, b: T) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * Writes a tree: every pipeline has two versions (the first shared by groups of ten pipelines,
 * so images are deduplicated as in real exports), runs spread evenly, two task runs per run, and
 * a dead-lettered task on every hundredth run.
 */
async function generateTree(dir: string) {
  for (const sub of [FILES.images, FILES.versions, FILES.runs]) await mkdir(join(dir, sub), { recursive: true });
  const aliases: Record<string, string> = {};
  const images = new Set<string>();
  const image = async (definition: unknown) => {
    const hash = contentHash(definition);
    if (!images.has(hash)) await writeFile(join(dir, FILES.images, `${hash}.json`), canonicalLine(definition));
    images.add(hash);
    return hash;
  };
  const stages = (config: Record<string, unknown>) => [
    { id: 'build', tasks: [{ id: 'compile', task: 'compile', config }] },
    { id: 'test', dependsOn: ['build'], tasks: [{ id: 'unit', task: 'unit-test' }] },
  ];
  let taskRunCount = 0;
  let dlqCount = 0;
  for (let p = 0; p < PIPELINES; p++) {
    const name = `bench-${String(p).padStart(4, '0')}`;
    const hashes = [await image({ stages: stages({ group: p % Math.ceil(PIPELINES / 10) }) }), await image({ stages: stages({ pipeline: p }) })];
    const pipeline: PipelineFile = {
      id: newId('pipeline'),
      name,
      description: `benchmark pipeline ${p}`,
      schedule: p % 2 ? '0 * * * *' : null,
      timezone: 'UTC',
      scheduleEnabled: true,
      labels: { team: `team-${p % 7}` },
      activeVersion: 2,
      revision: 2,
      createdAt: at(p * 1000),
      updatedAt: at(p * 1000 + 500),
      versions: hashes.map((hash, i) => ({ id: newId('version'), number: i + 1, hash, sourceHash: null, createdAt: at(p * 1000 + i * 500) })),
    };
    aliases[name] = hashes[1]!;
    await writeFile(join(dir, FILES.versions, `${name}.json`), prettyJson(pipeline));

    const runs: RunRecord[] = [];
    const share = Math.floor(RUNS / PIPELINES) + (p < RUNS % PIPELINES ? 1 : 0);
    for (let r = 0; r < share; r++) {
      const n = runs.length + p * share;
      const start = p * 1000 + r * 10;
      const failed = n % 100 === 0;
      const taskRun = (stageId: string, taskId: string, status: 'succeeded' | 'failed') => ({
        id: newId('taskRun'),
        stageId,
        taskId,
        taskName: taskId === 'unit' ? 'unit-test' : 'compile',
        attempt: 1,
        status,
        progress: status === 'succeeded' ? 1 : 0.5,
        messages: ['started', status],
        input: { shard: r % 4 },
        output: status === 'succeeded' ? { ok: true } : null,
        error: status === 'failed' ? { message: 'assertion failed' } : null,
        startedAt: at(start + 1),
        completedAt: at(start + 3),
        heartbeatAt: at(start + 3),
        revision: 3,
        createdAt: at(start + 1),
        updatedAt: at(start + 3),
      });
      const tasks = [taskRun('build', 'compile', 'succeeded'), taskRun('test', 'unit', failed ? 'failed' : 'succeeded')].sort(byId);
      const unit = tasks.find((t) => t.taskId === 'unit')!;
      runs.push({
        id: newId('run'),
        version: (r % 2) + 1,
        status: failed ? 'failed' : 'succeeded',
        currentStage: 'test',
        stageResults: { build: { ms: 1200 + r }, test: { passed: failed ? 41 : 42 } },
        trigger: 'api',
        scheduledFor: null,
        missedSlots: null,
        input: { commit: `c${n.toString(16)}`, branch: 'main' },
        output: failed ? null : { artifact: `${name}-${r}.tgz` },
        error: failed ? { stage: 'test' } : null,
        startedAt: at(start),
        completedAt: at(start + 4),
        heartbeatAt: at(start + 3),
        revision: 4,
        createdAt: at(start),
        updatedAt: at(start + 4),
        taskRuns: tasks,
        dlq: failed
          ? [
              {
                id: newId('dlq'),
                taskRunId: unit.id,
                payload: { stageId: 'test', taskId: 'unit' },
                error: unit.error,
                attempts: 1,
                failedAt: at(start + 3),
                replayedAt: null,
                replayTaskRunId: null,
                revision: 1,
                createdAt: at(start + 3),
                updatedAt: at(start + 3),
              },
            ]
          : [],
      });
      taskRunCount += tasks.length;
      dlqCount += failed ? 1 : 0;
    }
    if (runs.length) await writeFile(join(dir, FILES.runs, `${name}.jsonl`), runs.sort(byId).map(canonicalLine).join(''));
  }
  await writeFile(join(dir, FILES.aliases), prettyJson(aliases));
  await writeFile(join(dir, FILES.manifest), prettyJson(FORMAT));
  return { pipelines: PIPELINES, versions: PIPELINES * 2, images: images.size, runs: RUNS, taskRuns: taskRunCount, dlq: dlqCount };
}

async function treeBytes(dir: string, prefix = ''): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) for (const [k, v] of await treeBytes(dir, rel)) files.set(k, v);
    else files.set(rel, await readFile(join(dir, rel), 'utf8'));
  }
  return files;
}

async function sameTree(a: string, b: string): Promise<boolean> {
  const [left, right] = [await treeBytes(a), await treeBytes(b)];
  return left.size === right.size && [...left].every(([path, text]) => right.get(path) === text);
}

/** One CLI call, timed from spawn to exit; fails loudly on a non-zero exit. */
async function timed(args: string[]) {
  const started = performance.now();
  const result = await runCli(args);
  const wallMs = performance.now() - started;
  if (result.code !== 0) throw new Error(`pipestore ${args.join(' ')} exited ${result.code}:\n${result.stderr}${result.stdout}`);
  return { wallMs, ownMs: jsonOf<{ elapsedMs: number }>(result).elapsedMs };
}

const fmt = ({ wallMs, ownMs }: { wallMs: number; ownMs: number }) => `${(wallMs / 1000).toFixed(2)} s (${(ownMs / 1000).toFixed(2)} s)`;

async function benchBackend(name: string, url: string, tree: string, work: string) {
  const migrated = await runCli(['db', 'migrate', '--database-url', url]);
  if (migrated.code !== 0) throw new Error(`migrate failed: ${migrated.stderr}`);
  const database = url.startsWith('pglite:')
    ? await createDatabase({ driver: 'pglite', dataDir: url.slice('pglite:'.length) })
    : await createDatabase({ driver: 'pg', connectionString: url, poolMax: 1, allowExitOnIdle: true, idleTimeoutMillis: 1_000 });
  await database.db.insert(projects).values({ id: PROJECT, name: 'bench' });
  await database.close();
  const common = ['--database-url', url, '--project', PROJECT, '--json'];
  const validate = await timed(['import', tree, '--dry-run', ...common]);
  const importing = await timed(['import', tree, ...common]);
  const out = join(work, `export-${name}`);
  const exporting = await timed(['export', out, ...common]);
  return {
    backend: name,
    'import --dry-run': fmt(validate),
    import: fmt(importing),
    export: fmt(exporting),
    'round trip identical': (await sameTree(tree, out)) ? 'yes' : 'NO',
  };
}

const work = await mkdtemp(join(tmpdir(), 'pipestore-bench-transfer-'));
const scratch = await createScratchDatabase(serverUrl, 'bench_transfer').catch((err: Error) => {
  console.warn(`PostgreSQL skipped (${serverUrl}): ${err.message}`);
  return undefined;
});
try {
  const tree = join(work, 'tree');
  const started = performance.now();
  const counts = await generateTree(tree);
  const generatedMs = performance.now() - started;
  const rows = [await benchBackend('embedded (PGlite)', `pglite:${join(work, 'pglite')}`, tree, work)];
  if (scratch) rows.push(await benchBackend('PostgreSQL', scratch.url, tree, work));
  if (args.json) console.log(JSON.stringify({ counts, rows }, null, 2));
  else {
    console.log(
      `tree: ${counts.pipelines} pipelines, ${counts.versions} versions (${counts.images} images), ${counts.runs} runs, ` +
        `${counts.taskRuns} task runs, ${counts.dlq} DLQ entries (generated in ${(generatedMs / 1000).toFixed(1)} s)`,
    );
    console.log('wall time of the CLI subprocess (time reported by the command itself)');
    console.table(rows);
  }
} finally {
  await scratch?.drop();
  await rm(work, { recursive: true, force: true });
}
