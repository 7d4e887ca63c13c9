import type { Command } from 'commander';
import type { KeyCreateFlags, ProjectFlag } from '../actions/tenants';
import { globalOptions } from '../options';

/** The implementations, loaded when a command runs: `--help` and the other commands never pay for them. */
const actions = () => import('../actions/tenants');

/** `pipestore projects …` and `pipestore keys …`: tenants, straight in the configured database. */
export function registerTenantCommands(program: Command): void {
  const projects = program.command('projects').description('projects (tenants): create and list');

  projects
    .command('create')
    .argument('<name>', 'a name for people (not unique)')
    .description('create a project and print its id (--json: the project)')
    .action(async (name: string, _: unknown, command: Command) => (await actions()).createProjectCommand(name, globalOptions(command)));

  projects
    .command('list')
    .description('every project, oldest first')
    .action(async (_: unknown, command: Command) => (await actions()).listProjectsCommand(globalOptions(command)));

  const keys = program.command('keys').description("a project's API keys: create (shown once), list, revoke");

  keys
    .command('create')
    .description('create an API key and print it: it is shown this once, only its hash is stored')
    .requiredOption('--project <id>', 'the project the key opens')
    .option('--name <name>', 'what the key is for (shown by `keys list`)')
    .option('--expires-at <time>', 'when the key stops working (RFC 3339, e.g. 2027-01-01T00:00:00Z)')
    .action(async (flags: KeyCreateFlags, command: Command) => (await actions()).createKeyCommand(flags, globalOptions(command)));

  keys
    .command('list')
    .description("a project's keys with prefix, last four and state (never the keys)")
    .requiredOption('--project <id>', 'the project')
    .action(async (flags: ProjectFlag, command: Command) => (await actions()).listKeysCommand(flags, globalOptions(command)));

  keys
    .command('revoke')
    .argument('<keyId>', 'the key id (key_…), as `keys list` shows it')
    .description('revoke a key: it stops working at once on this database (a running server sees it within CACHE_TTL_MS)')
    .action(async (keyId: string, _: unknown, command: Command) => (await actions()).revokeKeyCommand(keyId, globalOptions(command)));
}
