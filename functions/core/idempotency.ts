import { createHash } from 'node:crypto';
import { and, eq, getTableColumns, gt, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client';
import { idempotencyKeys, type IdempotencyScope } from '../../db/schema';
import { NotFoundError } from './errors';
import { LockNotAvailableError, StatementTimeoutError, asDatabaseError } from '../../db/errors';

/**
 * The idempotency store (README, API conventions), two scopes in one table:
 * - `http`: the `Idempotency-Key` of a POST. The request's transaction claims the key, runs the
 *   handler and stores the response it produced, and commits all three at once: a committed
 *   resource always has its replayable response, and a request that failed anywhere before COMMIT
 *   left neither (functions/api/idempotency.ts).
 * - `task`: results that workers cache under their own keys (`PUT /v1/idempotency/{key}`).
 * Every query names the project: keys are per project.
 */

/**
 * The claim is never committed on its own: while its transaction runs, other requests with the key
 * wait on the row lock (bounded by the statement timeout), and when the transaction dies so does
 * the claim. A committed `in_flight` row can only come from an older version of this service; it
 * is a lease that a request takes over once this many seconds have passed.
 */
export const IN_FLIGHT_LEASE_SECONDS = 30;
export const MAX_TASK_TTL_SECONDS = 30 * 24 * 60 * 60;
export const MAX_TASK_RESULT_BYTES = 256 * 1024;

const byKey = (projectId: string, scope: IdempotencyScope, key: string) =>
  and(eq(idempotencyKeys.projectId, projectId), eq(idempotencyKeys.scope, scope), eq(idempotencyKeys.key, key));
const primaryKey = [idempotencyKeys.projectId, idempotencyKeys.scope, idempotencyKeys.key];
// Database time, never the app's clock: expiry is compared with now() in SQL.
const secondsFromNow = (seconds: number) => sql`now() + ${seconds}::int * interval '1 second'`;
const isExpired = lt(idempotencyKeys.expiresAt, sql`now()`);
const isLive = gt(idempotencyKeys.expiresAt, sql`now()`);
/**
 * Stored JSON is read as its text and parsed here: Drizzle parses a jsonb string a second time
 * when it looks like JSON (the string "1" would come back as the number 1).
 */
const rowColumns = { ...getTableColumns(idempotencyKeys), responseBody: sql<string | null>`${idempotencyKeys.responseBody}::text` };
const parseStored = (text: string | null): unknown => (text === null ? null : JSON.parse(text));

/**
 * What identifies "the same request": method, path and the body's exact bytes. Hashing bytes is
 * far cheaper than parsing and canonicalizing JSON, and a client retrying sends the same bytes.
 */
export function requestFingerprint(request: { method: string; path: string; body?: Uint8Array | string }): string {
  const hash = createHash('sha256').update(`${request.method} ${request.path}\n`);
  if (request.body !== undefined) hash.update(request.body);
  return hash.digest('hex');
}

export interface StoredResponse {
  status: number;
  /** The exact body text (null for no body): jsonb would reorder an object's keys. */
  body: string | null;
  headers: Record<string, string>;
}

export type Claim =
  | { outcome: 'claimed'; claimedAt: Date }
  | { outcome: 'replay'; response: StoredResponse }
  | { outcome: 'mismatch' }
  | { outcome: 'in_flight' };

interface HttpKey {
  projectId: string;
  key: string;
}

// Waiting for the row lock took longer than the statement timeout or a lock timeout.
const isLockWaitTimeout = (err: unknown) => {
  const typed = asDatabaseError(err);
  return typed instanceof StatementTimeoutError || typed instanceof LockNotAvailableError;
};

/**
 * Claims an HTTP key for one request, inside the request's transaction. The claim is one INSERT …
 * ON CONFLICT: a new key is inserted, an expired one (a completed key past its TTL, or an abandoned
 * claim) is taken over by the conditional DO UPDATE … WHERE expires_at < now(), and a live one is
 * left alone and returns no row. While one transaction holds the claim, the same statement in any
 * other waits on the row, then sees what the first committed: its response to replay, or nothing
 * (it rolled back) and claims the key itself.
 */
export async function claimHttpKey({ db, input }: { db: DbOrTx; input: HttpKey & { fingerprint: string } }): Promise<Claim> {
  const lease = secondsFromNow(IN_FLIGHT_LEASE_SECONDS);
  // Bounded: the row can vanish or expire between the two statements.
  for (let attempt = 0; attempt < 3; attempt++) {
    let claimed: { createdAt: Date } | undefined;
    try {
      [claimed] = await db
        .insert(idempotencyKeys)
        .values({ projectId: input.projectId, scope: 'http', key: input.key, fingerprint: input.fingerprint, expiresAt: lease })
        .onConflictDoUpdate({
          target: primaryKey,
          set: {
            fingerprint: input.fingerprint,
            state: 'in_flight',
            responseStatus: sql`null`,
            responseBody: sql`null`,
            responseHeaders: sql`null`,
            createdAt: sql`now()`,
            expiresAt: lease,
          },
          setWhere: isExpired,
        })
        .returning({ createdAt: idempotencyKeys.createdAt });
    } catch (err) {
      if (isLockWaitTimeout(err)) return { outcome: 'in_flight' };
      throw err;
    }
    if (claimed) return { outcome: 'claimed', claimedAt: claimed.createdAt };

    const stored = await storedResponse({ db, input });
    if (stored) return stored;
  }
  return { outcome: 'in_flight' };
}

/** What a live key holds for this request: its response, a mismatch, or a claim still running. */
async function storedResponse({
  db,
  input,
}: {
  db: DbOrTx;
  input: HttpKey & { fingerprint: string };
}): Promise<Exclude<Claim, { outcome: 'claimed' }> | undefined> {
  const [row] = await db
    .select(rowColumns)
    .from(idempotencyKeys)
    .where(and(byKey(input.projectId, 'http', input.key), isLive));
  if (!row) return undefined;
  if (row.fingerprint !== input.fingerprint) return { outcome: 'mismatch' };
  if (row.state === 'in_flight' || row.responseStatus === null) return { outcome: 'in_flight' };
  return {
    outcome: 'replay',
    response: { status: row.responseStatus, body: parseStored(row.responseBody) as string | null, headers: row.responseHeaders ?? {} },
  };
}

// Only the claim this request made: `created_at` tells it apart from a later takeover of the key.
const ownClaim = (input: HttpKey & { claimedAt: Date }) =>
  and(byKey(input.projectId, 'http', input.key), eq(idempotencyKeys.state, 'in_flight'), eq(idempotencyKeys.createdAt, input.claimedAt));

/**
 * Stores the response of a claimed request, in the transaction that claimed the key and wrote the
 * resource; the key then lives `ttlHours` from its claim.
 */
export async function completeHttpKey({ db, input }: { db: DbOrTx; input: HttpKey & { claimedAt: Date; ttlHours: number; response: StoredResponse } }) {
  await db
    .update(idempotencyKeys)
    .set({
      state: 'completed',
      responseStatus: input.response.status,
      responseBody: input.response.body,
      responseHeaders: input.response.headers,
      expiresAt: sql`${idempotencyKeys.createdAt} + ${input.ttlHours}::int * interval '1 hour'`,
    })
    .where(ownClaim(input));
}

/**
 * Stores an answer that wrote nothing (a 4xx whose transaction was rolled back), on its own. When
 * the key was claimed again meanwhile, that request's answer wins and this one is dropped.
 */
export async function storeHttpAnswer({ db, input }: { db: DbOrTx; input: HttpKey & { fingerprint: string; ttlHours: number; response: StoredResponse } }) {
  await db
    .insert(idempotencyKeys)
    .values({
      projectId: input.projectId,
      scope: 'http',
      key: input.key,
      fingerprint: input.fingerprint,
      state: 'completed',
      responseStatus: input.response.status,
      responseBody: input.response.body,
      responseHeaders: input.response.headers,
      expiresAt: secondsFromNow(input.ttlHours * 3600),
    })
    .onConflictDoNothing();
}

type KeyRow = Omit<typeof idempotencyKeys.$inferSelect, 'responseBody'> & { responseBody: string | null };

export const toTaskResult = (row: KeyRow) => ({
  key: row.key,
  result: parseStored(row.responseBody),
  createdAt: row.createdAt.toISOString(),
  expiresAt: row.expiresAt.toISOString(),
});
export type TaskResult = ReturnType<typeof toTaskResult>;

/**
 * Stores a task result under `key` for `ttlSeconds`, replacing any previous one. One upsert:
 * `created` is true when there was no live result before (none, or an expired one). The statement
 * records that in `response_status` (201 or 200, the status the API answers with), computed from
 * the old row's expiry in the DO UPDATE, because RETURNING only sees the new row.
 */
export async function putTaskResult({
  db,
  input,
}: {
  db: DbOrTx;
  input: { projectId: string; key: string; result: unknown; ttlSeconds: number };
}): Promise<{ entry: TaskResult; created: boolean }> {
  const expiresAt = secondsFromNow(input.ttlSeconds);
  const [row] = await db
    .insert(idempotencyKeys)
    .values({
      projectId: input.projectId,
      scope: 'task',
      key: input.key,
      state: 'completed',
      responseStatus: 201,
      responseBody: input.result,
      expiresAt,
    })
    .onConflictDoUpdate({
      target: primaryKey,
      set: {
        responseStatus: sql`case when ${idempotencyKeys.expiresAt} < now() then 201 else 200 end`,
        responseBody: input.result,
        createdAt: sql`now()`,
        expiresAt,
      },
    })
    .returning(rowColumns);
  return { entry: toTaskResult(row!), created: row!.responseStatus === 201 };
}

/** A live task result; an expired one is as good as absent (cleanup deletes it later). */
export async function getTaskResult({ db, input }: { db: DbOrTx; input: { projectId: string; key: string } }) {
  const [row] = await db
    .select(rowColumns)
    .from(idempotencyKeys)
    .where(and(byKey(input.projectId, 'task', input.key), isLive));
  if (!row) throw new NotFoundError('task result', input.key);
  return toTaskResult(row);
}
