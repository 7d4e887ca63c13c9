import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './env';
import { ApiError, problem } from './problem';

const ADMIN_PATH = /^\/v1\/projects(\/|$)/;

const unauthorized = (detail: string) =>
  new ApiError(problem(401, 'unauthorized', detail, { headers: { 'WWW-Authenticate': 'Bearer' } }));

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
    const key = await c.get('reads').authenticateApiKey({ key: token, keyHash });
    if (key) throw new ApiError(problem(403, 'admin_required', 'this route needs the admin token, not a project key'));
    throw unauthorized('invalid admin token');
  }

  if (isAdmin) throw new ApiError(problem(403, 'project_key_required', 'this route needs a project API key'));
  const key = await c.get('reads').authenticateApiKey({ key: token, keyHash });
  if (!key) throw unauthorized('unknown, revoked or expired API key');
  c.set('projectId', key.projectId);
  c.set('keyId', key.keyId);
  return next();
};
