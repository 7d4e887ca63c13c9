/** `projects` and `keys`: the implementations, loaded only when they run (see commands/tenants.ts). */
import type { Db } from '../../../db/client';
import { NotFoundError } from '../../core/errors';
import { isStorableTime } from '../../core/bounds';
import type { PageRequest, Page } from '../../core/pagination';
import { createApiKey, createProject, listApiKeys, listProjects, revokeApiKey, type toApiKeyInfo } from '../../core/projects';
import { type GlobalOptions, report, withDatabase } from '../context';
import { CliError, EXIT } from '../exit-codes';

export interface ProjectFlag {
  project: string;
}

export interface KeyCreateFlags extends ProjectFlag {
  name?: string;
  expiresAt?: string;
}

type KeyInfo = ReturnType<typeof toApiKeyInfo>;

/** Every page of a list, in order. */
async function everyPage<T>(list: (page: PageRequest) => Promise<Page<T>>): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | undefined;
  do {
    const page = await list({ limit: 200, cursor });
    items.push(...page.items);
    cursor = page.nextCursor ?? undefined;
  } while (cursor);
  return items;
}

/** An unknown project or key is a usage error (exit 2), as for export and import. */
async function orUsageError<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (err) {
    if (err instanceof NotFoundError) throw new CliError(err.message, EXIT.usage);
    throw err;
  }
}

const table = (rows: string[][]): string => {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
};

export async function createProjectCommand(name: string, options: GlobalOptions) {
  const trimmed = name.trim();
  if (!trimmed || trimmed.length > 100) throw new CliError('a project name is 1 to 100 characters', EXIT.usage);
  await withDatabase(options, async ({ db }) => {
    const project = await createProject({ db, input: { name: trimmed } });
    // Only the id on stdout: `PROJECT=$(pipestore projects create demo)`.
    report(options, project, () => project.id);
  });
}

export async function listProjectsCommand(options: GlobalOptions) {
  await withDatabase(options, async ({ db }) => {
    const projects = await everyPage((page) => listProjects({ db, input: page }));
    report(options, projects, () =>
      projects.length === 0
        ? 'no projects (create one with `pipestore projects create <name>`)'
        : table([['ID', 'NAME', 'CREATED'], ...projects.map((p) => [p.id, p.name, p.createdAt])]),
    );
  });
}

function expiryOf(flags: KeyCreateFlags): Date | undefined {
  if (flags.expiresAt === undefined) return undefined;
  const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i;
  const at = new Date(flags.expiresAt);
  if (!RFC3339.test(flags.expiresAt) || !isStorableTime(at.getTime())) {
    throw new CliError(`--expires-at: expected an RFC 3339 time such as 2027-01-01T00:00:00Z, got ${JSON.stringify(flags.expiresAt)}`, EXIT.usage);
  }
  return at;
}

export async function createKeyCommand(flags: KeyCreateFlags, options: GlobalOptions) {
  const expiresAt = expiryOf(flags);
  const name = flags.name?.trim();
  if (name !== undefined && (!name || name.length > 100)) throw new CliError('--name: 1 to 100 characters', EXIT.usage);
  await withDatabase(options, async ({ db }) => {
    const key = await orUsageError(createApiKey({ db, input: { projectId: flags.project, name, expiresAt } }));
    if (!options.json) process.stderr.write(`API key ${key.id} for project ${flags.project}: shown only now, store it.\n`);
    // Only the key on stdout: `KEY=$(pipestore keys create --project $PROJECT)`.
    report(options, { ...key, projectId: flags.project }, () => key.key);
  });
}

const stateOf = (key: KeyInfo, now: number): string => {
  if (key.revokedAt) return `revoked ${key.revokedAt}`;
  if (key.expiresAt && Date.parse(key.expiresAt) <= now) return `expired ${key.expiresAt}`;
  return key.expiresAt ? `active until ${key.expiresAt}` : 'active';
};

async function projectKeys(db: Db, projectId: string) {
  return orUsageError(everyPage((page) => listApiKeys({ db, input: { ...page, projectId } })));
}

export async function listKeysCommand(flags: ProjectFlag, options: GlobalOptions) {
  await withDatabase(options, async ({ db }) => {
    const keys = await projectKeys(db, flags.project);
    const now = Date.now();
    report(options, keys, () =>
      keys.length === 0
        ? `project ${flags.project} has no keys (create one with \`pipestore keys create --project ${flags.project}\`)`
        : table([
            ['ID', 'NAME', 'KEY', 'CREATED', 'STATE'],
            ...keys.map((k) => [k.id, k.name ?? '', `${k.prefix}…${k.lastFour}`, k.createdAt, stateOf(k, now)]),
          ]),
    );
  });
}

export async function revokeKeyCommand(keyId: string, options: GlobalOptions) {
  await withDatabase(options, async ({ db }) => {
    const key = await orUsageError(revokeApiKey({ db, input: { keyId } }));
    report(options, key, () => `revoked ${key.id} (project ${key.projectId}) at ${key.revokedAt}`);
  });
}
