import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from './env';
import { ApiError, problem } from './problem';

const ADMIN_PATH = /^\/v1\/projects(\/|$)/;

const unauthorized = (detail: string) =>
  new ApiError(problem(401, 'unauthorized', detail, { headers: { 'WWW-Authenticate': 'Bearer' } }));

// Compare digests so that the comparison time says nothing about the token.
const sameSecret = (a: string, b: string) =>
  timingSafeEqual(createHash('sha256').update(a).digest(), createHash('sha256').update(b).digest());

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
  const { adminToken } = c.var.config;
  const isAdmin = adminToken !== undefined && sameSecret(token, adminToken);

  if (ADMIN_PATH.test(c.req.path)) {
    if (isAdmin) return next();
    const key = await c.var.reads.authenticateApiKey({ key: token });
    if (key) throw new ApiError(problem(403, 'admin_required', 'this route needs the admin token, not a project key'));
    throw unauthorized('invalid admin token');
  }

  if (isAdmin) throw new ApiError(problem(403, 'project_key_required', 'this route needs a project API key'));
  const key = await c.var.reads.authenticateApiKey({ key: token });
  if (!key) throw unauthorized('unknown, revoked or expired API key');
  c.set('projectId', key.projectId);
  return next();
};
