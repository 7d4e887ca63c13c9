/** `pipestore export` and `import`: the implementations, loaded only when they run (see commands/transfer.ts). */
import { stat } from 'node:fs/promises';
import type { DbOrTx } from '../../../db/client';
import { UniqueViolationError, asDatabaseError } from '../../../db/errors';
import { projectExists } from '../../core/projects';
import { type GlobalOptions, progress, report, withDatabase } from '../context';
import { CliError, EXIT } from '../exit-codes';
import { TargetNotEmptyError, exportProject, writeTreeAtomically, type TransferCounts } from '../transfer/export';
import { checkAgainstDatabase, resolveTree, writeImport } from '../transfer/import';
import { readTree, type Problem } from '../transfer/read-tree';

export interface ProjectFlag {
  project: string;
}

export interface ImportFlags extends ProjectFlag {
  dryRun?: boolean;
  skipInvalid?: boolean;
}

export async function exportCommand(dir: string, flags: ProjectFlag, options: GlobalOptions) {
  const bar = progress(options);
  await withDatabase(options, async (database) => {
    await requireProject(database.db, flags.project);
    const started = performance.now();
    const { counts, warnings } = await writeTreeAtomically(dir, (staging) => exportProject(database.db, flags.project, staging, bar.update))
      .catch((err: unknown) => {
        if (err instanceof TargetNotEmptyError) throw new CliError(err.message, EXIT.usage);
        throw err;
      })
      .finally(() => bar.done());
    const elapsedMs = Math.round(performance.now() - started);
    if (!options.json) for (const w of warnings) process.stderr.write(`warning: ${w}\n`);
    report(
      options,
      { project: flags.project, dir, counts, warnings, elapsedMs },
      () => `exported project ${flags.project} to ${dir}: ${describe(counts)} (${seconds(elapsedMs)})`,
    );
  });
}

export async function importCommand(dir: string, flags: ImportFlags, options: GlobalOptions) {
  if (
    !(await stat(dir).then(
      (s) => s.isDirectory(),
      () => false,
    ))
  )
    throw new CliError(`${dir} is not a directory`, EXIT.usage);
  const bar = progress(options);
  await withDatabase(options, async (database) => {
    await requireProject(database.db, flags.project);
    const started = performance.now();
    const tree = await readTree(dir, bar.update);
    const fatal = tree.problems.some((p) => p.scope.kind === 'fatal');
    if (!fatal) await checkAgainstDatabase(database.db, flags.project, tree, bar.update);
    bar.done();
    // For --json: where and why, without the internal scope.
    const problems = tree.problems.sort(byPlace).map(({ file, line, reason }) => ({ file, ...(line !== undefined && { line }), reason }));
    if (fatal || (problems.length > 0 && !flags.skipInvalid)) {
      throw new CliError(
        [
          `import refused, nothing written: ${problems.length} problem(s) in ${dir}`,
          ...listed(problems).map((line) => `  ${line}`),
          ...(fatal ? [] : ['(--skip-invalid imports everything else)']),
        ].join('\n'),
        EXIT.invalidInput,
        { problems, warnings: tree.warnings },
      );
    }
    const resolved = resolveTree(tree);
    if (!flags.dryRun && resolved.counts.pipelines > 0) {
      await writeImport(database.db, flags.project, resolved.pipelines, tree.images, bar.update)
        .catch((err: unknown) => {
          // Only a concurrent writer can get here: the same checks passed a moment ago.
          const typed = asDatabaseError(err);
          if (typed instanceof UniqueViolationError) {
            const what = typed.constraint ?? 'a unique constraint';
            throw new CliError(`import refused, nothing written: ${what} was violated by a concurrent write`, EXIT.invalidInput);
          }
          throw err;
        })
        .finally(() => bar.done());
    }
    const elapsedMs = Math.round(performance.now() - started);
    if (!options.json) {
      for (const w of tree.warnings) process.stderr.write(`warning: ${w}\n`);
      for (const line of listed(problems)) process.stderr.write(`warning: skipped ${line}\n`);
    }
    const { counts, skipped } = resolved;
    const json = {
      project: flags.project,
      dir,
      dryRun: Boolean(flags.dryRun),
      written: !flags.dryRun && counts.pipelines > 0,
      counts,
      skipped,
      problems,
      warnings: tree.warnings,
      elapsedMs,
    };
    report(options, json, () => {
      const names = skipped.pipelines.length ? ` (${skipped.pipelines.join(', ')})` : '';
      const skips = skipped.pipelines.length || skipped.runs ? `\nskipped: ${skipped.pipelines.length} pipeline(s)${names}, ${skipped.runs} run(s)` : '';
      return flags.dryRun
        ? `dry run: would import ${describe(counts)} into project ${flags.project}; nothing written${skips}`
        : `imported ${describe(counts)} into project ${flags.project} (${seconds(elapsedMs)})${skips}`;
    });
  });
}

async function requireProject(db: DbOrTx, projectId: string) {
  if (!(await projectExists({ db, input: { projectId } }))) throw new CliError(`project ${projectId} does not exist`, EXIT.usage);
}

const byPlace = (a: Problem, b: Problem) => (a.file < b.file ? -1 : a.file > b.file ? 1 : (a.line ?? 0) - (b.line ?? 0));
const place = (p: Pick<Problem, 'file' | 'line' | 'reason'>) => `${p.file}${p.line === undefined ? '' : `:${p.line}`}: ${p.reason}`;

/** A terminal gets the first 50 problems; --json always lists every one. */
const listed = (problems: Pick<Problem, 'file' | 'line' | 'reason'>[]) => [
  ...problems.slice(0, 50).map(place),
  ...(problems.length > 50 ? [`… and ${problems.length - 50} more (--json lists them all)`] : []),
];

const describe = (c: TransferCounts) =>
  `${c.pipelines} pipeline(s), ${c.versions} version(s) (${c.images} image(s)), ${c.runs} run(s), ${c.taskRuns} task run(s), ${c.dlq} DLQ entr${c.dlq === 1 ? 'y' : 'ies'}`;
const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
