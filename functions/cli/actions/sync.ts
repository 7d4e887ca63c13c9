/** `pipestore sync`'s implementation, loaded only when it runs (see commands/sync.ts). */
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { projectExists } from '../../core/projects';
import { describeTarget, type GlobalOptions, progress, report, withDatabase } from '../context';
import { CliError, EXIT } from '../exit-codes';
import { apiStore } from '../sync/api-store';
import { findPipelineFiles } from '../sync/files';
import { evaluateFile, type FileError } from '../sync/load';
import { type CodePipeline, applyPlan, computePlan, duplicateNames, pendingChanges, skippable } from '../sync/plan';
import { buildReport, renderReport, type SyncMode } from '../sync/report';
import { type SyncStore, directStore } from '../sync/store';

export interface SyncFlags {
  project?: string;
  url?: string;
  apiKey?: string;
  dryRun?: boolean;
  check?: boolean;
  prune?: boolean;
  force?: boolean;
}

/** Loads the files, plans against the store, and writes unless this is a dry run or a check. */
async function runSync(dir: string, flags: SyncFlags, options: GlobalOptions, store: SyncStore): Promise<void> {
  const mode: SyncMode = flags.check ? 'check' : flags.dryRun ? 'dry-run' : 'apply';
  const bar = progress(options);
  const root = resolve(dir);
  const files = await findPipelineFiles(root);
  bar.update(`reading the pipelines of ${store.target}`);
  const stored = await store.list();
  const skip = flags.force ? new Map() : skippable(files, stored);

  const code: CodePipeline[] = [];
  const invalid: FileError[] = [];
  const toEvaluate = files.filter((f) => !skip.has(f.file));
  for (const [i, file] of toEvaluate.entries()) {
    bar.update(`evaluating ${i + 1}/${toEvaluate.length} ${file.file}`);
    const result = await evaluateFile(root, file);
    if (result.ok) code.push({ file: file.file, sourceHash: file.sourceHash, name: result.spec.name, spec: result.spec });
    else invalid.push(result.error);
  }
  bar.done();
  for (const file of files) {
    const owner = skip.get(file.file);
    if (owner) code.push({ file: file.file, sourceHash: file.sourceHash, name: owner.name });
  }
  code.sort((a, b) => (a.file < b.file ? -1 : 1));
  for (const dup of duplicateNames(code)) {
    const known = invalid.find((f) => f.file === dup.file);
    if (known) known.errors.push({ path: '', message: dup.message });
    else invalid.push({ file: dup.file, errors: [{ path: '', message: dup.message }] });
  }
  if (invalid.length) {
    invalid.sort((a, b) => (a.file < b.file ? -1 : 1));
    const lines = invalid.flatMap((f) => f.errors.map((e) => `  ${f.file}: ${e.path ? `${e.path}: ` : ''}${e.message}`));
    throw new CliError(`${invalid.length} invalid pipeline file(s) in ${dir}; nothing was written:\n${lines.join('\n')}`, EXIT.invalidInput, invalid);
  }

  const plan = computePlan(code, stored, Boolean(flags.prune));
  // An empty or mistyped directory with --prune would delete the whole project: refuse instead.
  if (flags.prune && files.length === 0 && stored.length > 0 && mode === 'apply') {
    throw new CliError(`${dir} has no pipeline files; --prune would delete all ${stored.length} pipelines of the project. Nothing was written.`, EXIT.usage);
  }
  let outcomes: Awaited<ReturnType<typeof applyPlan>> | undefined;
  if (mode === 'apply' && pendingChanges(plan) > 0) {
    outcomes = await store.write((writer) => applyPlan(plan, writer, (done, total) => bar.update(`writing ${done}/${total}`)));
    bar.done();
  }
  const result = buildReport(mode, store.target, dir, plan, outcomes);
  report(options, result, () => renderReport(result));
  if (mode === 'check' && !result.inSync) process.exitCode = EXIT.checkFailed;
}

/** `pipestore sync <dir>`: checks the usage, then syncs through the API or straight into the database. */
export async function sync(dir: string, flags: SyncFlags, options: GlobalOptions): Promise<void> {
  let isDir = false;
  try {
    isDir = statSync(dir).isDirectory();
  } catch {
    // Reported below with the same message as a plain file.
  }
  if (!isDir) throw new CliError(`${dir} is not a directory`, EXIT.usage);
  if (flags.url && flags.project) throw new CliError('give either --project (direct mode) or --url with --api-key (API mode), not both', EXIT.usage);

  if (flags.url) {
    if (options.databaseUrl) throw new CliError('--database-url is for direct mode (--project); with --url the API has the database', EXIT.usage);
    if (!flags.apiKey) throw new CliError('--url needs --api-key (or PIPESTORE_API_KEY)', EXIT.usage);
    return runSync(dir, flags, options, apiStore(flags.url, flags.apiKey));
  }
  if (!flags.project) {
    throw new CliError('which project? give --project <id> (direct to the database) or --url and --api-key (through the API)', EXIT.usage);
  }
  const projectId = flags.project;
  await withDatabase(options, async (database, config) => {
    // Sync creates pipelines, never projects: a mistyped id must not start an empty one.
    if (!(await projectExists({ db: database.db, input: { projectId } }))) {
      throw new CliError(`project ${projectId} does not exist in ${describeTarget(config)}`, EXIT.usage);
    }
    await runSync(dir, flags, options, directStore(database, projectId, `${describeTarget(config)}, project ${projectId}`));
  });
}
