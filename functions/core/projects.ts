import { randomBytes } from 'node:crypto';
import { type Placeholder, and, asc, eq, gt, isNull, or, sql } from 'drizzle-orm';
import { type DbOrTx, preparedFor } from '../../db/client';
import { ForeignKeyViolationError, asDatabaseError } from '../../db/errors';
import { apiKeys, projects } from '../../db/schema';
import { NotFoundError, PreconditionFailedError } from './errors';
import { sha256Hex } from './hashing';
import { newId } from './ids';
import { afterCursor, decodeCursor, pageSize, toPage, type PageRequest } from './pagination';

export type ProjectRow = typeof projects.$inferSelect;

export const toProject = (row: ProjectRow) => ({
  id: row.id,
  name: row.name,
  revision: row.revision,
  createdAt: row.createdAt.toISOString(),
});

export async function createProject({ db, input }: { db: DbOrTx; input: { name: string } }) {
  const [row] = await db
    .insert(projects)
    .values({ id: newId('project'), name: input.name })
    .returning();
  return toProject(row!);
}

/** Whether the project exists: the CLI's writers (sync, import, schedule ticks) never create one. */
export async function projectExists({ db, input }: { db: DbOrTx; input: { projectId: string } }): Promise<boolean> {
  const [row] = await db.select({ id: projects.id }).from(projects).where(eq(projects.id, input.projectId));
  return row !== undefined;
}

export async function listProjects({ db, input }: { db: DbOrTx; input: PageRequest }) {
  const limit = pageSize(input);
  const position = input.cursor ? decodeCursor('projects', input.cursor) : undefined;
  const rows = await db
    .select()
    .from(projects)
    .where(afterCursor(projects, position, 'asc'))
    .orderBy(asc(projects.createdAt), asc(projects.id))
    .limit(limit + 1);
  return toPage('projects', rows, limit, toProject);
}

/**
 * Deletes a project with everything in it (pipelines, versions, runs, keys: ON DELETE CASCADE).
 * With `ifMatch`, only at that revision: 412 when it moved on, 404 when the project is gone.
 */
export async function deleteProject({ db, input }: { db: DbOrTx; input: { projectId: string; ifMatch?: number } }) {
  const isTarget = and(eq(projects.id, input.projectId), input.ifMatch === undefined ? undefined : eq(projects.revision, input.ifMatch));
  const [row] = await db.delete(projects).where(isTarget).returning({ id: projects.id });
  if (row) return;
  const [current] = await db.select({ revision: projects.revision }).from(projects).where(eq(projects.id, input.projectId));
  if (!current) throw new NotFoundError('project', input.projectId);
  throw new PreconditionFailedError(current.revision);
}

// `ps_` marks a pipestore key in logs and secret scanners; 32 random bytes make it unguessable.
const KEY_PREFIX = 'ps_';

export async function createApiKey({ db, input }: { db: DbOrTx; input: { projectId: string; name?: string; expiresAt?: Date } }) {
  const key = `${KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
  const row = await db
    .insert(apiKeys)
    .values({
      id: newId('apiKey'),
      projectId: input.projectId,
      name: input.name,
      prefix: key.slice(0, 10),
      hash: sha256Hex(key),
      lastFour: key.slice(-4),
      expiresAt: input.expiresAt,
    })
    .returning()
    .then(
      ([inserted]) => inserted,
      (err: unknown) => {
        // The project does not exist: one round trip instead of a lookup before every insert.
        if (asDatabaseError(err) instanceof ForeignKeyViolationError) return undefined;
        throw err;
      },
    );
  if (!row) throw new NotFoundError('project', input.projectId);
  // The only time the clear key exists outside the caller: it is never stored.
  return {
    id: row.id,
    key,
    prefix: row.prefix,
    lastFour: row.lastFour,
    name: row.name,
    createdAt: row.createdAt.toISOString(),
    expiresAt: row.expiresAt?.toISOString() ?? null,
  };
}

/** Whether a key (as authenticateApiKey returned it, perhaps from a cache) has expired by `now`. */
export const isKeyExpired = (key: { expiresAt: Date | null }, now = Date.now()) => key.expiresAt !== null && new Date(key.expiresAt).getTime() <= now;

type ApiKeyRow = typeof apiKeys.$inferSelect;

/** What may be shown of a key after its creation: never the key, nor its hash. */
export const toApiKeyInfo = (row: ApiKeyRow) => ({
  id: row.id,
  projectId: row.projectId,
  name: row.name,
  prefix: row.prefix,
  lastFour: row.lastFour,
  createdAt: row.createdAt.toISOString(),
  expiresAt: row.expiresAt?.toISOString() ?? null,
  revokedAt: row.revokedAt?.toISOString() ?? null,
});

/** A project's keys, oldest first, revoked and expired ones included (they say so). */
export async function listApiKeys({ db, input }: { db: DbOrTx; input: PageRequest & { projectId: string } }) {
  const limit = pageSize(input);
  const position = input.cursor ? decodeCursor('api_keys', input.cursor) : undefined;
  const rows = await db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.projectId, input.projectId), afterCursor(apiKeys, position, 'asc')))
    .orderBy(asc(apiKeys.createdAt), asc(apiKeys.id))
    .limit(limit + 1);
  if (rows.length === 0) {
    // An empty page must still tell an unknown project (404) from one without (more) keys.
    const [project] = await db.select({ id: projects.id }).from(projects).where(eq(projects.id, input.projectId));
    if (!project) throw new NotFoundError('project', input.projectId);
  }
  return toPage('api_keys', rows, limit, toApiKeyInfo);
}

/**
 * Revokes a key (idempotent: revoking a revoked key keeps its first revocation time). The API
 * names the key under its project; the operator CLI by its id alone (`projectId` omitted).
 */
export async function revokeApiKey({ db, input }: { db: DbOrTx; input: { projectId?: string; keyId: string } }) {
  const [row] = await db
    .update(apiKeys)
    .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` })
    .where(and(eq(apiKeys.id, input.keyId), input.projectId === undefined ? undefined : eq(apiKeys.projectId, input.projectId)))
    .returning();
  if (!row) throw new NotFoundError('api key', input.keyId);
  return toApiKeyInfo(row);
}

const keyByHash = (db: DbOrTx, hash: string | Placeholder) =>
  db
    .select({ projectId: apiKeys.projectId, keyId: apiKeys.id, expiresAt: apiKeys.expiresAt })
    .from(apiKeys)
    .where(and(eq(apiKeys.hash, hash), isNull(apiKeys.revokedAt), or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, sql`now()`))));

/**
 * The project a presented key belongs to, or undefined when it is unknown, revoked or expired. The
 * expiry comes along: a cached answer is checked against the clock on every use (isKeyExpired).
 */
export async function authenticateApiKey({ db, input }: { db: DbOrTx; input: { key: string; keyHash?: string } }) {
  if (!input.key.startsWith(KEY_PREFIX)) return undefined;
  const hash = input.keyHash ?? sha256Hex(input.key);
  // Every request runs this: prepared where the driver allows it.
  const prepared = preparedFor(db, 'api_key_by_hash', (d) => keyByHash(d, sql.placeholder('hash')).prepare('pipestore_api_key_by_hash'));
  const [row] = prepared ? await prepared.execute({ hash }) : await keyByHash(db, hash);
  return row;
}
