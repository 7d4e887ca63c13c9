import type { Command } from 'commander';
import type { ImportFlags, ProjectFlag } from '../actions/transfer';
import { globalOptions } from '../options';

/** The implementations, loaded when a command runs: `--help` and the other commands never pay for them. */
const actions = () => import('../actions/transfer');

const LAYOUT = `
Layout: export.json, images/<sha256>.json (canonical definitions), versions/<name>.json (pipeline
metadata, active version, versions in order), aliases.json (name -> active version hash),
runs/<name>.jsonl (one run per line with its task runs and DLQ entries). Ids and timestamps are kept.`;

export function registerTransferCommands(program: Command): void {
  program
    .command('export')
    .argument('<dir>', 'new or empty directory to write the tree into')
    .description("write a project's pipelines, versions, runs and task runs as a directory tree")
    .requiredOption('--project <id>', 'the project to export')
    .addHelpText('after', LAYOUT)
    .action(async (dir: string, flags: ProjectFlag, command: Command) => (await actions()).exportCommand(dir, flags, globalOptions(command)));

  program
    .command('import')
    .argument('<dir>', 'a tree written by `pipestore export`')
    .description('validate a tree written by `export`, then write it into a project in one transaction')
    .requiredOption('--project <id>', 'the (existing) project to import into')
    .option('--dry-run', 'validate and report what would be written; write nothing')
    .option('--skip-invalid', 'skip invalid files (and whatever depends on them) with a warning; import the rest')
    .addHelpText(
      'after',
      `${LAYOUT}
Everything is validated before anything is written; any problem names its file and exits 5 with
nothing written, unless --skip-invalid. A pipeline whose name (or any id) already exists is a problem.`,
    )
    .action(async (dir: string, flags: ImportFlags, command: Command) => (await actions()).importCommand(dir, flags, globalOptions(command)));
}
