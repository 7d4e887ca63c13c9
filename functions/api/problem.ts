import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import {
  CheckViolationError,
  ConflictError,
  ConnectionsExhaustedError,
  DatabaseUnavailableError,
  ForeignKeyViolationError,
  PoolSaturatedError,
  UniqueViolationError,
  asDatabaseError,
} from '../../db/errors';
import { DomainError, NotFoundError, PreconditionFailedError, StateConflictError, ValidationError, type FieldError } from '../core/errors';
import type { ProblemCode } from '../core/problem-codes';
import { errorFields, log } from '../log';
import { tags } from '../store/tags';
import type { AppEnv } from './env';

export interface Problem {
  status: ContentfulStatusCode;
  code: ProblemCode;
  title: string;
  detail: string;
  errors?: FieldError[];
  extra?: Record<string, unknown>;
  headers?: Record<string, string>;
}

/** Thrown by route code for HTTP-level failures (auth, headers, pagination cursors). */
export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail);
  }
}

const TITLES: Partial<Record<number, string>> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  409: 'Conflict',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export const problem = (
  status: ContentfulStatusCode,
  code: ProblemCode,
  detail: string,
  more: Partial<Pick<Problem, 'errors' | 'extra' | 'headers'>> = {},
): Problem => ({ status, code, title: TITLES[status] ?? 'Error', detail, ...more });

export function problemResponse(c: Context, p: Problem): Response {
  const body = {
    type: `https://pipestore.dev/problems/${p.code}`,
    title: p.title,
    status: p.status,
    detail: p.detail,
    code: p.code,
    requestId: (c.get('requestId') as string | undefined) ?? '',
    ...(p.errors ? { errors: p.errors } : {}),
    ...p.extra,
  };
  return c.body(JSON.stringify(body), p.status, {
    'Content-Type': 'application/problem+json',
    ...p.headers,
  });
}

/** Maps anything thrown below the routes to a problem; unknown errors become an opaque 500. */
export function toProblem(err: unknown): Problem {
  if (err instanceof ApiError) return err.problem;
  if (err instanceof ValidationError) return problem(400, err.code, err.message, { errors: err.errors });
  if (err instanceof NotFoundError) return problem(404, err.code, err.message);
  if (err instanceof PreconditionFailedError) return problem(412, err.code, err.message, { extra: err.details });
  if (err instanceof StateConflictError) return problem(409, err.code, err.message, { extra: err.details });
  if (err instanceof DomainError) return problem(422, err.code, err.message, { extra: err.details });
  if (err instanceof HTTPException) {
    const status = err.status as ContentfulStatusCode;
    if (status === 413) return problem(413, 'payload_too_large', 'the request body exceeds the size limit');
    if (status === 400 && /malformed json/i.test(err.message)) return problem(400, 'malformed_json', 'the request body is not valid JSON');
    return problem(status, 'http_error', err.message || TITLES[status] || 'request failed');
  }
  const dbError = asDatabaseError(err);
  if (dbError instanceof PoolSaturatedError)
    return problem(503, 'pool_saturated', 'every database connection of this server is busy; retry shortly', {
      headers: { 'Retry-After': '1' },
    });
  if (dbError instanceof ConnectionsExhaustedError)
    return problem(503, 'database_connections_exhausted', 'the database has no connection slot free; retry shortly', {
      headers: { 'Retry-After': '2' },
    });
  if (dbError instanceof DatabaseUnavailableError)
    return problem(503, 'database_unavailable', 'the database is unreachable; retry shortly', {
      headers: { 'Retry-After': '5' },
    });
  // A write naming a project that no longer exists: the key was authenticated from the memory
  // layer before the project's deletion reached it. The key is gone with its project.
  if (dbError instanceof ForeignKeyViolationError && dbError.constraint?.endsWith('_project_id_projects_id_fk'))
    return problem(401, 'unauthorized', 'unknown, revoked or expired API key', { headers: { 'WWW-Authenticate': 'Bearer' } });
  if (dbError instanceof UniqueViolationError) return problem(409, 'conflict', 'a resource with the same unique key already exists');
  if (dbError instanceof ConflictError) return problem(409, 'concurrent_update', 'a concurrent update conflicted with this request; retry it');
  if (dbError instanceof CheckViolationError) return problem(400, 'invalid_value', 'a value is out of its allowed range');
  return problem(500, 'internal_error', 'an unexpected error occurred');
}

export function handleError(err: unknown, c: Context<AppEnv>): Response {
  const p = toProblem(err);
  // The cached lookup that let a deleted project's key in must not do it again.
  if (p.status === 401 && asDatabaseError(err) instanceof ForeignKeyViolationError) c.get('store')?.cache.invalidate(tags.apiKeys);
  if (p.status >= 500) {
    // The error goes to the log (with the request id to correlate), never to the client; and of a
    // database error only its statement name, SQLSTATE and message: never a parameter value.
    // A client that went away (timed out, cancelled) caused what failed after it, and nobody reads
    // the answer: one line at warn says so instead.
    const aborted = c.req.raw.signal?.aborted === true;
    const fields = { requestId: c.get('requestId'), method: c.req.method, path: c.req.path, status: p.status, error: errorFields(err) };
    if (aborted) log.warn('client aborted the request', fields);
    else log.error('request failed', fields);
  }
  return problemResponse(c, p);
}
