import { and, eq, getTableColumns, gt, lt, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client';
import { idempotencyKeys, type IdempotencyScope } from '../../db/schema';
import { NotFoundError } from './errors';
import { contentHash } from './hashing';

/**
 * The idempotency store (DESIGN §5), two scopes in one table:
 * - `http`: the `Idempotency-Key` of a POST. A request claims its key (state in_flight), runs, and
 *   the response it produced is stored (state completed) and replayed to every retry.
 * - `task`: results that workers cache under their own keys (`PUT /v1/idempotency/{key}`).
 * Every query names the project: keys are per project.
 */

/**
 * How long an in-flight claim holds its key before another request may take it over. A request
 * that dies mid-way (Lambda timeout, crash) never releases its claim, so a claim is a lease:
 * `expires_at` is the lease end until the response is stored, then the key's TTL. 15 minutes is
 * Lambda's longest run, so a request that is still running never loses its claim.
 */
export const IN_FLIGHT_LEASE_SECONDS = 15 * 60;
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

/** What identifies "the same request": method, path and the canonical JSON of the body. */
export const requestFingerprint = (request: { method: string; path: string; body?: unknown; rawBody?: string }) =>
  contentHash(request);

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

/**
 * Claims an HTTP key for one request. The claim is one INSERT … ON CONFLICT: a new key is
 * inserted, an expired one (a completed key past its TTL, or an abandoned claim) is taken over by
 * the conditional DO UPDATE … WHERE expires_at < now(), and a live one is left alone and returns no
 * row. The row lock that statement takes is what lets exactly one of many concurrent requests with
 * the same key run the handler; the others read the row and get in_flight or the replay.
 */
export async function claimHttpKey({ db, input }: { db: DbOrTx; input: HttpKey & { fingerprint: string } }): Promise<Claim> {
  const lease = secondsFromNow(IN_FLIGHT_LEASE_SECONDS);
  // Bounded: the row can vanish or expire between the two statements (released after a 5xx).
  for (let attempt = 0; attempt < 3; attempt++) {
    const [claimed] = await db
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
    if (claimed) return { outcome: 'claimed', claimedAt: claimed.createdAt };

    const [row] = await db
      .select(rowColumns)
      .from(idempotencyKeys)
      .where(and(byKey(input.projectId, 'http', input.key), isLive));
    if (!row) continue;
    if (row.fingerprint !== input.fingerprint) return { outcome: 'mismatch' };
    if (row.state === 'in_flight' || row.responseStatus === null) return { outcome: 'in_flight' };
    return {
      outcome: 'replay',
      response: { status: row.responseStatus, body: parseStored(row.responseBody) as string | null, headers: row.responseHeaders ?? {} },
    };
  }
  return { outcome: 'in_flight' };
}

// Only the claim this request made: `created_at` tells it apart from a later takeover of the key.
const ownClaim = (input: HttpKey & { claimedAt: Date }) =>
  and(byKey(input.projectId, 'http', input.key), eq(idempotencyKeys.state, 'in_flight'), eq(idempotencyKeys.createdAt, input.claimedAt));

/** Stores the response of a claimed request; the key then lives `ttlHours` from its claim. */
export async function completeHttpKey({
  db,
  input,
}: {
  db: DbOrTx;
  input: HttpKey & { claimedAt: Date; ttlHours: number; response: StoredResponse };
}) {
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

/** Gives a claimed key up (the request failed with a 5xx), so that a retry runs again. */
export async function releaseHttpKey({ db, input }: { db: DbOrTx; input: HttpKey & { claimedAt: Date } }) {
  await db.delete(idempotencyKeys).where(ownClaim(input));
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
  const [row] = await db.select(rowColumns).from(idempotencyKeys).where(and(byKey(input.projectId, 'task', input.key), isLive));
  if (!row) throw new NotFoundError('task result', input.key);
  return toTaskResult(row);
}
