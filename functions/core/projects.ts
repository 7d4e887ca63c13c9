import { randomBytes } from 'node:crypto';
import { type Placeholder, and, asc, eq, gt, isNull, or, sql } from 'drizzle-orm';
import { type DbOrTx, preparedFor } from '../../db/client';
import { ForeignKeyViolationError, asDatabaseError } from '../../db/errors';
import { apiKeys, projects } from '../../db/schema';
import { NotFoundError } from './errors';
import { sha256Hex } from './hashing';
import { newId } from './ids';
import { afterCursor, decodeCursor, pageSize, toPage, type PageRequest } from './pagination';

export type ProjectRow = typeof projects.$inferSelect;

export const toProject = (row: ProjectRow) => ({
  id: row.id,
  name: row.name,
  createdAt: row.createdAt.toISOString(),
});

export async function createProject({ db, input }: { db: DbOrTx; input: { name: string } }) {
  const [row] = await db.insert(projects).values({ id: newId('project'), name: input.name }).returning();
  return toProject(row!);
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

// `ps_` marks a pipestore key in logs and secret scanners; 32 random bytes make it unguessable.
const KEY_PREFIX = 'ps_';

export async function createApiKey({
  db,
  input,
}: {
  db: DbOrTx;
  input: { projectId: string; name?: string; expiresAt?: Date };
}) {
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

export async function revokeApiKey({ db, input }: { db: DbOrTx; input: { projectId: string; keyId: string } }) {
  const [row] = await db
    .update(apiKeys)
    .set({ revokedAt: sql`coalesce(${apiKeys.revokedAt}, now())` })
    .where(and(eq(apiKeys.id, input.keyId), eq(apiKeys.projectId, input.projectId)))
    .returning({ id: apiKeys.id });
  if (!row) throw new NotFoundError('api key', input.keyId);
}

const keyByHash = (db: DbOrTx, hash: string | Placeholder) =>
  db
    .select({ projectId: apiKeys.projectId, keyId: apiKeys.id })
    .from(apiKeys)
    .where(
      and(
        eq(apiKeys.hash, hash),
        isNull(apiKeys.revokedAt),
        or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, sql`now()`)),
      ),
    );

/** The project a presented key belongs to, or undefined when it is unknown, revoked or expired. */
export async function authenticateApiKey({ db, input }: { db: DbOrTx; input: { key: string; keyHash?: string } }) {
  if (!input.key.startsWith(KEY_PREFIX)) return undefined;
  const hash = input.keyHash ?? sha256Hex(input.key);
  // Every request runs this: prepared where the driver allows it.
  const prepared = preparedFor(db, 'api_key_by_hash', (d) => keyByHash(d, sql.placeholder('hash')).prepare('pipestore_api_key_by_hash'));
  const [row] = prepared ? await prepared.execute({ hash }) : await keyByHash(db, hash);
  return row;
}
