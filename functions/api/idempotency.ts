import type { Context, MiddlewareHandler } from 'hono';
import type { ContentfulStatusCode, StatusCode } from 'hono/utils/http-status';
import {
  type StoredResponse,
  claimHttpKey,
  completeHttpKey,
  releaseHttpKey,
  requestFingerprint,
} from '../core/idempotency';
import { errorFields, log } from '../log';
import type { AppEnv } from './env';
import { ApiError, problem } from './problem';

/**
 * How long a duplicate of a request that is still running waits for it before answering 409.
 * Clients that fire retries concurrently then all get the one answer instead of an error.
 */
const IN_FLIGHT_WAIT_MS = 5_000;
/** Claims held by requests of this process, so duplicates here wait without polling. */
const localHolders = new Map<string, Promise<void>>();
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, Math.max(0, ms)));

/**
 * Claims the key; while another request holds it, waits (on the local holder, or by polling with
 * backoff when the holder is another process) until it finishes or IN_FLIGHT_WAIT_MS passes.
 */
async function claimOrWait(db: AppEnv['Variables']['database']['db'], input: Parameters<typeof claimHttpKey>[0]['input']) {
  const deadline = Date.now() + IN_FLIGHT_WAIT_MS;
  let delay = 10;
  for (;;) {
    const claim = await claimHttpKey({ db, input });
    const remaining = deadline - Date.now();
    if (claim.outcome !== 'in_flight' || remaining <= 0) return claim;
    const holder = localHolders.get(`${input.projectId}\0${input.key}`);
    await Promise.race([holder ?? sleep(delay), sleep(remaining)]);
    delay = Math.min(delay * 2, 200);
  }
}

/** Printable ASCII, like Stripe's keys; the length bound is the column's check constraint. */
const VALID_KEY = /^[\x20-\x7e]{1,255}$/;
/** The headers a replay repeats: what a client reads from a create response besides the body. */
const REPLAYED_HEADERS = ['Content-Type', 'Location', 'ETag'] as const;

function idempotencyKey(c: Context<AppEnv>): string | undefined {
  const key = c.req.header('Idempotency-Key');
  if (key === undefined || VALID_KEY.test(key)) return key;
  throw new ApiError(
    problem(400, 'invalid_idempotency_key', 'Idempotency-Key must be 1-255 printable ASCII characters', {
      errors: [{ path: 'header.idempotency-key', message: 'expected 1-255 printable ASCII characters' }],
    }),
  );
}

/**
 * Reads the body as text (Hono caches it, so the route's validator reads it again for free). A
 * body that is not JSON is fingerprinted as text: the route answers it with a 400 that is stored.
 */
async function fingerprint(c: Context<AppEnv>): Promise<string> {
  const { method, path } = c.req;
  const text = await c.req.text();
  if (text === '') return requestFingerprint({ method, path });
  try {
    return requestFingerprint({ method, path, body: JSON.parse(text) });
  } catch {
    return requestFingerprint({ method, path, rawBody: text });
  }
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

/**
 * `Idempotency-Key` on project-scoped POSTs (DESIGN §5). Mounted after `authorize`, which sets
 * the project; admin routes have none and are passed through, as is any request without the
 * header, at no cost. Same key + same request: the stored response again, with
 * `Idempotent-Replayed: true`. Same key + another request: 422. Still running: 409.
 * Responses below 500 are stored (a 4xx is an answer too: retrying it gives the same 4xx); on a
 * 5xx the claim is dropped so that the client's retry runs the request again.
 */
export const idempotency: MiddlewareHandler<AppEnv> = async (c, next) => {
  const projectId = c.get('projectId');
  if (c.req.method !== 'POST' || !projectId) return next();
  const key = idempotencyKey(c);
  if (key === undefined) return next();

  const db = c.get('database').db;
  const claim = await claimOrWait(db, { projectId, key, fingerprint: await fingerprint(c) });
  switch (claim.outcome) {
    case 'replay': {
      const { status, body, headers } = claim.response;
      const replayed = { ...headers, 'Idempotent-Replayed': 'true' };
      return body === null ? c.body(null, status as StatusCode, replayed) : c.body(body, status as ContentfulStatusCode, replayed);
    }
    case 'mismatch':
      throw new ApiError(
        problem(422, 'idempotency_key_reused', 'this Idempotency-Key was used for a different request (method, path or body)'),
      );
    case 'in_flight':
      throw new ApiError(
        problem(409, 'idempotency_request_in_flight', 'a request with this Idempotency-Key is still being processed; retry shortly', {
          headers: { 'Retry-After': '1' },
        }),
      );
  }

  const claimed = { projectId, key, claimedAt: claim.claimedAt };
  const holderKey = `${projectId}\0${key}`;
  let finished!: () => void;
  localHolders.set(holderKey, new Promise<void>((resolve) => (finished = resolve)));
  try {
    await runClaimed();
  } finally {
    localHolders.delete(holderKey);
    finished();
  }

  async function runClaimed() {
    const release = () =>
      releaseHttpKey({ db, input: claimed }).catch((error: unknown) =>
        // The claim then lapses with its lease (IN_FLIGHT_LEASE_SECONDS): retries get 409 until then.
        log.warn('could not release an idempotency key', { requestId: c.get('requestId'), error: errorFields(error) }),
      );
    try {
      // Errors below are turned into responses by onError before they reach us; this is for the rest.
      await next();
    } catch (err) {
      await release();
      throw err;
    }
    if (c.res.status >= 500) {
      await release();
      return;
    }

    try {
      await completeHttpKey({
        db,
        input: { ...claimed, ttlHours: c.get('config').idempotencyTtlHours, response: await snapshot(c.res) },
      });
    } catch (error) {
      // The work is done and committed: answer it. Releasing the key would let a retry do it twice;
      // kept in flight, retries get 409 until the lease lapses.
      log.error('could not store an idempotent response', { requestId: c.get('requestId'), error: errorFields(error) });
    }
  }
};
