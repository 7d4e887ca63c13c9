import { z, type RouteConfig } from '@hono/zod-openapi';
import { unstorableText } from '../core/bounds';
import { ProblemSchema } from './problem-schema';

/**
 * What every operation has in common because of the middleware in front of it, added to each
 * route as it is registered (createRouter), so that a route cannot forget it and the OpenAPI
 * document states it for every operation:
 * - path and query parameters that Postgres text cannot hold (NUL) are a 400 naming the parameter;
 * - an operation without query parameters refuses any (400), like the ones that have some;
 * - the statuses and headers the middleware answers with: 400, 401 + WWW-Authenticate and 403
 *   (authorize), 413 and 415 (readJsonBody, on methods with a body), 500, 503 + Retry-After;
 * - 412 where If-Match is accepted;
 * - on project-scoped POSTs, the Idempotency-Key header with its 409 and 422, and
 *   Idempotent-Replayed on the responses that can be replays.
 * A route's own declaration of a status wins; defaults fill in what it did not declare.
 */
export type Access = 'project' | 'admin' | 'public';

type Responses = RouteConfig['responses'];
type Response = Responses[string];

const problemContent = { 'application/problem+json': { schema: ProblemSchema } };
const problem = (description: string, headers?: Record<string, ReturnType<typeof header>>) => ({
  description,
  content: problemContent,
  ...(headers && { headers }),
});
const header = (description: string, required = false) => ({ description, schema: { type: 'string' as const }, required });

const RETRY_AFTER = { 'Retry-After': header('Seconds to wait before retrying') };

export const IDEMPOTENCY_KEY_PATTERN = /^[\x20-\x7e]{1,255}$/;
const IdempotencyKeyHeader = z.object({
  'idempotency-key': z
    .string()
    .regex(IDEMPOTENCY_KEY_PATTERN)
    .optional()
    .openapi({
      description:
        'Makes the POST safe to retry: the same key and request replay the stored response (Idempotent-Replayed: true); ' +
        'the same key with another request is 422. 1-255 printable ASCII characters.',
    }),
});
const REPLAYED = {
  'Idempotent-Replayed': header('"true" when this is the stored response of an earlier request with the same Idempotency-Key'),
};
/** Statuses answered before the idempotency layer runs, so never stored and never replayed. */
const NEVER_REPLAYED = new Set(['401', '403', '413', '415']);

const BODY_METHODS = new Set(['post', 'put', 'patch']);

function commonResponses(route: RouteConfig, access: Access): Responses {
  const responses: Responses = {
    400: problem('Invalid request: errors[] names each offending field, parameter or header'),
    500: problem('Unexpected error (details are only in the server log)'),
    503: problem('Database unreachable; retry after the Retry-After delay', RETRY_AFTER),
  };
  if (access !== 'public') {
    responses[401] = problem('Missing, unknown, revoked or expired credentials', {
      'WWW-Authenticate': header('The authentication scheme to use: Bearer', true),
    });
    responses[403] = problem('Credentials of the wrong kind (admin token vs project key)');
  }
  if (BODY_METHODS.has(route.method)) {
    responses[413] = problem('Request body over 1 MiB');
    responses[415] = problem('Request body that is not JSON (Content-Type application/json, no content coding)');
  }
  if (acceptsIfMatch(route)) responses[412] = problem('If-Match names a revision that is not the current one');
  if (isIdempotent(route, access)) {
    responses[409] = problem('A request with the same Idempotency-Key is still running', RETRY_AFTER);
    responses[422] = problem('The Idempotency-Key was used for a different request (method, path or body)');
  }
  return responses;
}

const isIdempotent = (route: RouteConfig, access: Access) => access === 'project' && route.method === 'post';

function acceptsIfMatch(route: RouteConfig): boolean {
  const headers = route.request?.headers;
  return headers instanceof z.ZodObject && 'if-match' in headers.shape;
}

function withHeaders(response: Response, headers: Record<string, unknown>): Response {
  if ('$ref' in response) return response;
  return { ...response, headers: { ...(response.headers as Record<string, unknown> | undefined), ...headers } as never };
}

/**
 * A status both the route and the middleware declare: the route's description, with the
 * middleware's headers; a 409 of an idempotent POST describes both of its causes.
 */
function merge(status: string, own: Response, common: Response, idempotent: boolean): Response {
  if ('$ref' in own || '$ref' in common) return own;
  const merged = withHeaders(own, (common.headers as Record<string, unknown> | undefined) ?? {});
  if (status !== '409' || !idempotent) return merged;
  return { ...merged, description: `${own.description}; or: ${common.description}` } as Response;
}

/** NUL in a path or query parameter: refused where it comes in, named like any parameter error. */
const storableParameters = <T extends z.ZodObject>(schema: T): T =>
  schema.superRefine((values, ctx) => {
    for (const [name, value] of Object.entries(values as Record<string, unknown>)) {
      for (const item of Array.isArray(value) ? value : [value]) {
        const reason = typeof item === 'string' ? unstorableText(item) : undefined;
        if (reason) ctx.addIssue({ code: 'custom', path: [name], message: reason });
      }
    }
  }) as T;

export function completeRoute<R extends RouteConfig>(route: R, access: Access): R {
  const request = { ...route.request };
  if (request.params instanceof z.ZodObject) request.params = storableParameters(request.params);
  request.query = request.query instanceof z.ZodObject ? storableParameters(request.query) : (request.query ?? z.strictObject({}));
  const idempotent = isIdempotent(route, access);
  if (idempotent) {
    const headers = request.headers;
    request.headers = headers instanceof z.ZodObject ? headers.extend(IdempotencyKeyHeader.shape) : IdempotencyKeyHeader;
  }

  const common = commonResponses(route, access);
  const responses: Responses = {};
  for (const [status, own] of Object.entries(route.responses)) {
    responses[status] = common[status] ? merge(status, own, common[status], idempotent) : own;
  }
  for (const [status, response] of Object.entries(common)) responses[status] ??= response;
  if (idempotent) {
    for (const [status, response] of Object.entries(responses)) {
      if (Number(status) < 500 && !NEVER_REPLAYED.has(status)) responses[status] = withHeaders(response, REPLAYED);
    }
  }
  return { ...route, request, responses: sortByStatus(responses) };
}

const sortByStatus = (responses: Responses): Responses => Object.fromEntries(Object.entries(responses).sort(([a], [b]) => a.localeCompare(b)));
