import { type Command, Option } from 'commander';
import type { SyncFlags } from '../actions/sync';
import { globalOptions } from '../options';

/** The implementation, loaded when the command runs: `--help` and the other commands never pay for it. */
const actions = () => import('../actions/sync');

export function registerSyncCommand(program: Command): void {
  program
    .command('sync')
    .description('sync code-defined pipelines (definePipeline() files) into a project')
    .argument('<dir>', 'directory of pipeline files (*.ts, *.mts, *.js, *.mjs, searched recursively)')
    .option('--project <id>', 'direct mode: the project to sync into, in the configured database (DATABASE_URL, …)')
    .option('--url <base>', "API mode: base URL of a pipestore API (the project is the API key's)")
    .addOption(new Option('--api-key <key>', 'API mode: a project API key').env('PIPESTORE_API_KEY'))
    .option('--dry-run', 'print the plan and write nothing')
    .option('--check', 'write nothing; exit 1 when the store is out of sync, 0 when in sync')
    .option('--prune', 'delete pipelines of the project that no file defines (with their versions and runs)')
    .option('--force', 'evaluate every file, even those whose source hash shows they are already synced')
    .addHelpText(
      'after',
      `
Each file's default export is one pipeline: export default definePipeline({ name, stages, … }),
with import { definePipeline } from 'pipestore'. Files or directories named .* or _* (helpers),
node_modules, *.d.ts and *.test.* / *.spec.* are not loaded.
A file whose source hash equals that of its pipeline's active version is skipped unevaluated.
Exit codes: 0 done or in sync, 1 out of sync (--check) or the store refused a write, 2 bad usage,
3 bad configuration or API key, 4 database or API unreachable, 5 invalid pipeline files (nothing written).`,
    )
    .action(async (dir: string, flags: SyncFlags, command: Command) => (await actions()).sync(dir, flags, globalOptions(command)));
}
