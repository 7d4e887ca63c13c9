import type { Context, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode, StatusCode } from 'hono/utils/http-status';
import type { Database, Db } from '../../db/client';
import { type Claim, type StoredResponse, claimHttpKey, completeHttpKey, requestFingerprint, storeHttpAnswer } from '../core/idempotency';
import { errorFields, log } from '../log';
import type { AppEnv } from './env';
import { ApiError, problem } from './problem';

/**
 * How long a duplicate of a request that is still running in this process waits for it before
 * trying the key itself. Duplicates in other processes wait on the key's row lock instead.
 */
const IN_FLIGHT_WAIT_MS = 5_000;
/** Requests of this process holding a key, so duplicates here wait without taking a connection. */
const localHolders = new Map<string, Promise<void>>();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Printable ASCII, like Stripe's keys; the length bound is the column's check constraint. */
const VALID_KEY = /^[\x20-\x7e]{1,255}$/;
/** The headers a replay repeats: what a client reads from a create response besides the body. */
const REPLAYED_HEADERS = ['Content-Type', 'Location', 'ETag'] as const;

/** Thrown inside the request's transaction to roll it back while keeping the handler's response. */
class RolledBack extends Error {}

function idempotencyKey(c: Context<AppEnv>): string | undefined {
  const key = c.req.header('Idempotency-Key');
  if (key === undefined || VALID_KEY.test(key)) return key;
  throw new ApiError(
    problem(400, 'invalid_idempotency_key', 'Idempotency-Key must be 1-255 printable ASCII characters', {
      errors: [{ path: 'header.idempotency-key', message: 'expected 1-255 printable ASCII characters' }],
    }),
  );
}

/** The body's bytes as read by readJsonBody (cached): no parse, no canonical JSON. */
async function fingerprint(c: Context<AppEnv>): Promise<string> {
  const { method, path } = c.req;
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  return requestFingerprint({ method, path, body: bytes.byteLength ? bytes : undefined });
}

async function snapshot(res: Response): Promise<StoredResponse> {
  const headers: Record<string, string> = {};
  for (const name of REPLAYED_HEADERS) {
    const value = res.headers.get(name);
    if (value !== null) headers[name] = value;
  }
  // A clone: the original still goes to the client.
  return { status: res.status, body: res.body === null ? null : await res.clone().text(), headers };
}

/** The request's database, narrowed to one transaction: every statement of the handler runs in it. */
function inTransaction(database: Database, tx: Db): Database {
  return {
    db: tx,
    driver: database.driver,
    get roundTrips() {
      return database.roundTrips;
    },
    withSession: (fn) => fn(tx),
    close: () => database.close(),
  };
}

function answer(c: Context<AppEnv>, claim: Exclude<Claim, { outcome: 'claimed' }>): Response {
  switch (claim.outcome) {
    case 'replay': {
      const { status, body, headers } = claim.response;
      const replayed = { ...headers, 'Idempotent-Replayed': 'true' };
      return body === null ? c.body(null, status as StatusCode, replayed) : c.body(body, status as ContentfulStatusCode, replayed);
    }
    case 'mismatch':
      throw new ApiError(problem(422, 'idempotency_key_reused', 'this Idempotency-Key was used for a different request (method, path or body)'));
    case 'in_flight':
      throw new ApiError(
        problem(409, 'idempotency_request_in_flight', 'a request with this Idempotency-Key is still being processed; retry shortly', {
          headers: { 'Retry-After': '1' },
        }),
      );
  }
}

/**
 * `Idempotency-Key` on project-scoped POSTs (README, API conventions), exactly once by construction: the claim
 * of the key, everything the handler writes and the response it produced are one transaction.
 * Cut anywhere before COMMIT, none of it happened and a retry runs the request afresh; once
 * committed, every retry gets that response again (`Idempotent-Replayed: true`), even when the
 * client never saw the first one. Same key + another request: 422. A duplicate running meanwhile
 * waits on the key's row lock and then replays; past the statement timeout it gets 409.
 * Answers below 500 are stored (a 4xx is an answer too); a 4xx the handler threw rolls its writes
 * back and is stored on its own. On a 5xx nothing is stored: the retry runs again.
 * Mounted after `authorize`, which sets the project; admin routes and requests without the header
 * pass through at no cost.
 */
export const idempotency: MiddlewareHandler<AppEnv> = async (c, next) => {
  const projectId = c.get('projectId');
  if (c.req.method !== 'POST' || !projectId) return next();
  const key = idempotencyKey(c);
  if (key === undefined) return next();

  const input = { projectId, key, fingerprint: await fingerprint(c) };
  const holderKey = `${projectId}\0${key}`;
  const holder = localHolders.get(holderKey);
  if (holder) await Promise.race([holder, sleep(IN_FLIGHT_WAIT_MS)]);
  let finished!: () => void;
  const holding = new Promise<void>((resolve) => (finished = resolve));
  localHolders.set(holderKey, holding);
  try {
    await runOnce();
  } finally {
    if (localHolders.get(holderKey) === holding) localHolders.delete(holderKey);
    finished();
  }

  async function runOnce() {
    const database = c.get('database');
    const store = c.get('store');
    const { idempotencyTtlHours: ttlHours } = c.get('config');
    let earlier: Exclude<Claim, { outcome: 'claimed' }> | undefined;
    let inTx: ReturnType<typeof store.inTransaction> | undefined;
    try {
      await database.db.transaction(async (tx) => {
        const claim = await claimHttpKey({ db: tx, input });
        if (claim.outcome !== 'claimed') {
          earlier = claim;
          return;
        }
        c.set('database', inTransaction(database, tx as unknown as Db));
        // Its reads bypass the memory layer (they see uncommitted rows), and what its writes
        // invalidate waits for COMMIT: a read by another request in between would otherwise
        // put the old value back into memory.
        c.set('store', (inTx = store.inTransaction(tx)));
        try {
          await next();
        } finally {
          c.set('database', database);
          c.set('store', store);
        }
        // The handler threw (onError made c.res from it) or answered 5xx: none of it may commit.
        if (c.error || c.res.status >= 500) throw new RolledBack();
        await completeHttpKey({ db: tx, input: { ...input, claimedAt: claim.claimedAt, ttlHours, response: await snapshot(c.res) } });
      });
    } catch (err) {
      if (!(err instanceof RolledBack)) throw err;
      if (c.res.status < 500) await storeAnswer(c.res);
      return;
    }
    // Committed: before the response leaves, so the client's next read is fresh.
    inTx?.committed();
    if (earlier) c.res = answer(c, earlier);
  }

  async function storeAnswer(res: Response) {
    try {
      await storeHttpAnswer({ db: c.get('database').db, input: { ...input, ttlHours: c.get('config').idempotencyTtlHours, response: await snapshot(res) } });
    } catch (error) {
      // Nothing was written: a retry runs the request again and gets the same answer.
      log.warn('could not store an idempotent answer', { requestId: c.get('requestId'), error: errorFields(error) });
    }
  }
};
