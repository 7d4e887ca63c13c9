import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Context } from 'hono';
import type { Database, Db } from '../../db/client';
import { DatabaseUnavailableError } from '../../db/errors';
import { isKeyExpired } from '../core/projects';
import { Store } from '../store/store';
import type { AppEnv } from './env';
import { ApiError, problem, toProblem } from './problem';

const READ_METHODS = new Set(['GET', 'HEAD']);

/**
 * The database as seen by a request authenticated from a stale cache entry: the lookup could not
 * reach the database, so nothing else will either. Every query fails at once as unavailable, so
 * the request is answered from the memory layer or with 503, without waiting a timeout again.
 */
function unreachable(database: Database): Database {
  const fail = () => {
    throw new DatabaseUnavailableError('database unavailable (the API key lookup could not reach it)');
  };
  const db = new Proxy({} as Db, { get: fail });
  return { db, driver: database.driver, roundTrips: database.roundTrips, withSession: async () => fail(), close: () => database.close() };
}

/**
 * A key known only from a stale cache entry (the database is unreachable) may have been revoked
 * meanwhile: for up to CACHE_STALE_IF_ERROR_MS it may still read what the memory layer holds,
 * never write.
 */
function restrictToCachedReads(c: Context<AppEnv>): void {
  if (!READ_METHODS.has(c.req.method)) {
    const cause = c.get('store').cache.unavailableReason;
    throw new ApiError(toProblem(cause ?? new DatabaseUnavailableError('database unavailable (the API key lookup could not reach it)')));
  }
  const offline = unreachable(c.get('database'));
  c.set('database', offline);
  c.set('store', Store.over(c.get('store').cache, offline.db));
}

const ADMIN_PATH = /^\/v1\/projects(\/|$)/;

const unauthorized = (detail: string) => new ApiError(problem(401, 'unauthorized', detail, { headers: { 'WWW-Authenticate': 'Bearer' } }));

const digest = (secret: string) => createHash('sha256').update(secret).digest();
// The admin token's digest, computed once per configured token rather than on every request.
const adminDigests = new Map<string, Buffer>();
const adminDigest = (token: string) => {
  let value = adminDigests.get(token);
  if (!value) adminDigests.set(token, (value = digest(token)));
  return value;
};

/**
 * Every /v1 route is authenticated here, in one place: /v1/projects… is for the admin token,
 * everything else for a project key, whose project scopes every query. Fail closed: a new route
 * is project-scoped without anyone remembering to say so.
 */
export const authorize: MiddlewareHandler<AppEnv> = async (c, next) => {
  const header = c.req.header('Authorization');
  if (!header) throw unauthorized('missing Authorization header (expected "Bearer <key>")');
  const match = /^Bearer ([\x21-\x7e]{1,512})$/i.exec(header);
  if (!match) throw unauthorized('malformed Authorization header (expected "Bearer <key>")');
  const token = match[1]!;
  const { adminToken } = c.get('config');
  // One digest per request serves both checks: the constant-time admin comparison (digests, so
  // the time says nothing about the token) and the key lookup, which is by SHA-256 anyway.
  const tokenDigest = digest(token);
  const isAdmin = adminToken !== undefined && timingSafeEqual(tokenDigest, adminDigest(adminToken));
  const keyHash = tokenDigest.toString('hex');

  if (ADMIN_PATH.test(c.req.path)) {
    if (isAdmin) return next();
    const key = await c.get('store').authenticateApiKey({ key: token, keyHash });
    if (key) throw new ApiError(problem(403, 'admin_required', 'this route needs the admin token, not a project key'));
    throw unauthorized('invalid admin token');
  }

  if (isAdmin) throw new ApiError(problem(403, 'project_key_required', 'this route needs a project API key'));
  const store = c.get('store');
  const key = await store.authenticateApiKey({ key: token, keyHash });
  // The clock is checked on every use: a cached lookup must not outlive the key's expiry.
  if (!key || isKeyExpired(key)) throw unauthorized('unknown, revoked or expired API key');
  if (store.staleAuth) restrictToCachedReads(c);
  c.set('projectId', key.projectId);
  c.set('keyId', key.keyId);
  return next();
};
