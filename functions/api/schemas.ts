import { z } from '@hono/zod-openapi';
import { DefinitionSchema } from '../core/definitions';
import { MAX_PAGE_SIZE } from '../core/pagination';
import { ProblemSchema } from './problem';

/** Shapes shared by every resource module: ids, pages, problems, ETags. */

export const PageQuery = z.strictObject({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(MAX_PAGE_SIZE)
    .optional()
    .openapi({ description: `Page size, 1-${MAX_PAGE_SIZE} (default 50)` }),
  cursor: z.string().max(1024).optional().openapi({ description: 'Opaque cursor from the previous page' }),
});

export const pageOf = <T extends z.ZodTypeAny>(item: T, name: string) =>
  z.object({ items: z.array(item), nextCursor: z.string().nullable() }).openapi(name);

export const Definition = DefinitionSchema;

/** What runs and task runs share: their data, lifecycle timestamps and revision. */
export const executionFields = {
  input: z.unknown(),
  output: z.unknown(),
  error: z.unknown(),
  startedAt: z.string().datetime().nullable(),
  completedAt: z.string().datetime().nullable(),
  heartbeatAt: z.string().datetime().nullable(),
  revision: z.number().int(),
  createdAt: z.string().datetime(),
  updatedAt: z.string().datetime(),
};

const problemContent = { 'application/problem+json': { schema: ProblemSchema } };
const problemResponse = (description: string) => ({ description, content: problemContent });

/** The error responses every authenticated route can give, for the OpenAPI document. */
export const commonErrors = {
  400: problemResponse('Invalid request (errors[] names each offending field)'),
  401: problemResponse('Missing, unknown, revoked or expired credentials'),
  403: problemResponse('Credentials of the wrong kind (admin token vs project key)'),
  413: problemResponse('Request body over 1 MiB'),
  415: problemResponse('Request body that is not JSON'),
  500: problemResponse('Unexpected error (details are only in the server log)'),
  503: problemResponse('Database unreachable; retry after the Retry-After delay'),
} as const;
export const notFound = { 404: problemResponse('No such resource in this project') } as const;
export const conflict = { 409: problemResponse('Conflicts with the current state') } as const;
export const preconditionFailed = { 412: problemResponse('If-Match names a revision that is no longer current') } as const;

export const ETagHeader = { ETag: { schema: { type: 'string' as const }, description: 'Revision, for If-Match' } };
export const IfMatchHeaders = z.object({
  'if-match': z.string().optional().openapi({ description: 'ETag from a previous response; a stale one is 412' }),
});

export const jsonBody = <T extends z.ZodTypeAny>(schema: T) => ({
  required: true,
  content: { 'application/json': { schema } },
});
/** A body that may be left out entirely (no Content-Type, no bytes). */
export const optionalJsonBody = <T extends z.ZodTypeAny>(schema: T) => ({
  required: false,
  content: { 'application/json': { schema } },
});
/** Any JSON value, refused when its serialized size is over `maxBytes` (bodies are 1 MiB at most). */
export const boundedJson = <T extends z.ZodTypeAny>(schema: T, maxBytes: number) =>
  schema.refine((value) => value === undefined || Buffer.byteLength(JSON.stringify(value)) <= maxBytes, {
    message: `larger than ${maxBytes / 1024} KiB`,
  });

export const jsonResponse = <T extends z.ZodTypeAny>(schema: T, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
