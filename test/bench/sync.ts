/**
 * Wall-clock time of `pipestore sync` on 200 generated pipeline files, run as the CLI subprocess
 * an operator or CI would run, against a fresh embedded store and a scratch PostgreSQL database.
 *
 *   npm run bench:sync                        # 200 files, median of 3 for the repeatable rows
 *   npm run bench:sync -- --files 500 --runs 5
 *
 * Rows: the first sync (everything created), a sync with nothing changed (every file skipped by
 * source hash, none evaluated), the same with --force (every file evaluated, nothing written: what
 * skipping saves), one file edited, and the floor: sync of an empty directory (process start,
 * database open, one listing). PostgreSQL is TEST_DATABASE_URL or postgres://postgres@127.0.0.1/test.
 */
import { rmSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { arg, median, serverUrl } from './support/args';
import { type CliResult, jsonOf, runCli } from '../cli/support/run-cli';
import { freshSyncTarget, pipelineSource, type SyncTarget, tempDir, writeFile } from '../cli/support/sync-fixtures';

const FILES = arg('files', 200);
const RUNS = arg('runs', 3);

/** Realistic files: a few stages with dependencies and task config, one helper import in ten. */
function generate(dir: string, count: number, variant = 0): void {
  writeFile(dir, '_shared.ts', "export const notify = { id: 'notify', tasks: [{ id: 'mail', task: 'notify.email' }] };\n");
  for (let i = 0; i < count; i++) {
    const name = `pipe-${String(i).padStart(4, '0')}`;
    const stages = `[
    { id: 'fetch', tasks: [{ id: 'download', task: 'http.get', config: { url: 'https://example.com/${i}' } }] },
    { id: 'transform', dependsOn: ['fetch'], tasks: [{ id: 'parse', task: 'json.parse' }, { id: 'map', task: 'etl.map', config: { v: ${variant} } }] },
    { id: 'load', dependsOn: ['transform'], tasks: [{ id: 'write', task: 'db.write' }] },
    ${i % 10 === 0 ? 'notify' : "{ id: 'done', dependsOn: ['load'] }"},
  ]`;
    const sub = i % 4 === 0 ? 'team-a/' : '';
    const prelude = i % 10 === 0 ? `import { notify } from '${sub ? '..' : '.'}/_shared';` : '';
    writeFile(dir, `${sub}${name}.ts`, pipelineSource(name, { description: `pipeline ${i}`, stages, prelude }));
  }
}

async function timed(target: SyncTarget, dir: string, extra: string[], expect: (report: any) => boolean): Promise<number> {
  const started = performance.now();
  const result: CliResult = await runCli(['sync', dir, '--project', target.projectId, '--json', ...extra], { DATABASE_URL: target.url });
  const ms = performance.now() - started;
  if (result.code !== 0 || !expect(jsonOf(result))) throw new Error(`unexpected sync result (exit ${result.code}):\n${result.stdout}\n${result.stderr}`);
  return ms;
}

async function measure(driver: 'embedded' | 'postgres'): Promise<Record<string, number>> {
  const target = await freshSyncTarget(driver === 'postgres' ? serverUrl : undefined);
  const dir = tempDir('bench-sync');
  const empty = tempDir('bench-sync-empty');
  try {
    generate(dir, FILES);
    const repeat = async (run: () => Promise<number>) => {
      const samples: number[] = [];
      for (let i = 0; i < RUNS; i++) samples.push(await run());
      return median(samples);
    };
    const rows: Record<string, number> = {};
    rows['first run (create all)'] = await timed(target, dir, [], (r) => r.summary.create === FILES);
    rows['no change (all skipped)'] = await repeat(() => timed(target, dir, [], (r) => r.inSync && r.summary.skipped === FILES));
    rows['no change, --force (all evaluated)'] = await repeat(() => timed(target, dir, ['--force'], (r) => r.inSync && r.summary.evaluated === FILES));
    let variant = 0;
    rows['one file edited'] = await repeat(() => {
      writeFile(dir, 'pipe-0001.ts', pipelineSource('pipe-0001', { description: 'pipeline 1', task: `edit-${++variant}` }));
      return timed(target, dir, [], (r) => r.summary.update === 1 && r.summary.skipped === FILES - 1);
    });
    rows['floor: empty directory'] = await repeat(() => timed(target, empty, [], (r) => r.summary.files === 0));
    return rows;
  } finally {
    rmSync(dir, { recursive: true, force: true });
    rmSync(empty, { recursive: true, force: true });
    await target.dispose();
  }
}

const results = { embedded: await measure('embedded'), postgres: await measure('postgres') };
const labels = Object.keys(results.embedded);
const width = Math.max(...labels.map((l) => l.length));
console.log(`pipestore sync, ${FILES} files, CLI subprocess wall clock (median of ${RUNS} where repeated)\n`);
console.log(`${'step'.padEnd(width)}  ${'embedded'.padStart(10)}  ${'postgres'.padStart(10)}`);
for (const label of labels) {
  const cell = (ms: number) => `${(ms / 1000).toFixed(2)} s`.padStart(10);
  console.log(`${label.padEnd(width)}  ${cell(results.embedded[label]!)}  ${cell(results.postgres[label]!)}`);
}
