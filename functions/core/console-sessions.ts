import { randomBytes } from 'node:crypto';
import { and, eq, gt, isNull, lt, or, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client';
import { apiKeys, consoleSessions } from '../../db/schema';
import { sha256Hex } from './hashing';
import { newId } from './ids';
import { authenticateApiKey } from './projects';

export interface ConsoleSession {
  id: string;
  projectId: string;
  apiKeyId: string;
  expiresAt: Date;
}

/**
 * Signs a browser in with a project API key: the key is checked by the same function the API's
 * authentication uses, then a session is stored by the SHA-256 of a fresh random token. The clear
 * token goes back to the caller (for the cookie) and is never stored. Undefined for a key that is
 * unknown, revoked or expired.
 */
export async function startConsoleSession({ db, input }: { db: DbOrTx; input: { key: string; lifetimeMs: number } }) {
  const key = await authenticateApiKey({ db, input: { key: input.key } });
  if (!key) return undefined;
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(Date.now() + input.lifetimeMs);
  const id = newId('consoleSession');
  await db.insert(consoleSessions).values({ id, projectId: key.projectId, apiKeyId: key.keyId, tokenHash: sha256Hex(token), expiresAt });
  return { token, session: { id, projectId: key.projectId, apiKeyId: key.keyId, expiresAt } satisfies ConsoleSession };
}

/**
 * The live session a cookie's token names, in one round trip: unexpired, and opened with a key
 * that is still neither revoked nor expired (so revoking the key ends its sessions at once).
 */
export async function findConsoleSession({ db, input }: { db: DbOrTx; input: { token: string } }): Promise<ConsoleSession | undefined> {
  const [row] = await db
    .select({
      id: consoleSessions.id,
      projectId: consoleSessions.projectId,
      apiKeyId: consoleSessions.apiKeyId,
      expiresAt: consoleSessions.expiresAt,
    })
    .from(consoleSessions)
    .innerJoin(apiKeys, eq(apiKeys.id, consoleSessions.apiKeyId))
    .where(
      and(
        eq(consoleSessions.tokenHash, sha256Hex(input.token)),
        gt(consoleSessions.expiresAt, sql`now()`),
        isNull(apiKeys.revokedAt),
        or(isNull(apiKeys.expiresAt), gt(apiKeys.expiresAt, sql`now()`)),
      ),
    );
  return row;
}

export async function endConsoleSession({ db, input }: { db: DbOrTx; input: { token: string } }) {
  await db.delete(consoleSessions).where(eq(consoleSessions.tokenHash, sha256Hex(input.token)));
}

/** Deletes sessions that expired before `before` (sign-in calls it now and then: no table grows unbounded). */
export async function purgeExpiredConsoleSessions({ db, input }: { db: DbOrTx; input: { before: Date } }) {
  await db.delete(consoleSessions).where(lt(consoleSessions.expiresAt, input.before));
}
