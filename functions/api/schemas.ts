import { z } from '@hono/zod-openapi';
import { isStorableTime } from '../core/bounds';
import { DefinitionSchema } from '../core/definitions';
import { MAX_PAGE_SIZE } from '../core/pagination';
import { ProblemSchema } from './problem-schema';

/** Shapes shared by every resource module: ids, pages, problems, ETags. */

/**
 * An integer query parameter: decimal digits only (`0x10`, `1e2`, `+5`, ` 5` are 400, where
 * Number() would take them), then range-checked. Documented as the integer it stands for.
 */
export const queryInteger = (min: number, max: number) =>
  z
    .string()
    .regex(/^[0-9]{1,10}$/, 'must be a decimal integer (digits only)')
    .transform(Number)
    .pipe(z.number().int().min(min).max(max))
    .openapi({ type: 'integer', minimum: min, maximum: max });

/** An RFC 3339 date-time with an offset, within the years Postgres and JavaScript both hold. */
export const DateTimeInput = z.iso
  .datetime({ offset: true })
  .pipe(z.string().refine((value) => isStorableTime(Date.parse(value)), 'must be between 0001-01-01T00:00:00Z and 9999-12-31T23:59:59.999Z'))
  .openapi({ type: 'string', format: 'date-time' });

/** The `{id}` of a resource addressed by its id. */
export const IdParams = z.object({ id: z.string().min(1).max(100) });
/** The `{id}` of a pipeline, which names it by id or by name. */
export const PipelineParams = z.object({ id: z.string().min(1).max(100).openapi({ description: 'The pipeline id (pl_…), or its name' }) });

export const PageQuery = z.strictObject({
  limit: queryInteger(1, MAX_PAGE_SIZE)
    .optional()
    .openapi({ description: `Page size, 1-${MAX_PAGE_SIZE} (default 50)` }),
  cursor: z.string().max(1024).optional().openapi({ description: 'Opaque cursor from the previous page' }),
});

export const pageOf = <T extends z.ZodTypeAny>(item: T, name: string) => z.object({ items: z.array(item), nextCursor: z.string().nullable() }).openapi(name);

export const Definition = DefinitionSchema;

const problemContent = { 'application/problem+json': { schema: ProblemSchema } };
const problemResponse = (description: string) => ({ description, content: problemContent });

/**
 * The error responses every authenticated route can give, for the OpenAPI document (createRouter
 * adds the rest of what the middleware answers: 413 and 415 where there is a body, 412, 409 and
 * 422 of idempotent POSTs, and the headers).
 */
export const commonErrors = {
  400: problemResponse('Invalid request (errors[] names each offending field)'),
  401: problemResponse('Missing, unknown, revoked or expired credentials'),
  403: problemResponse('Credentials of the wrong kind (admin token vs project key)'),
  500: problemResponse('Unexpected error (details are only in the server log)'),
  503: problemResponse('Database unreachable; retry after the Retry-After delay'),
} as const;
export const notFound = { 404: problemResponse('No such resource in this project') } as const;
export const conflict = { 409: problemResponse('Conflicts with the current state') } as const;
export const preconditionFailed = { 412: problemResponse('If-Match names a revision that is no longer current') } as const;

export const ETagHeader = { ETag: { schema: { type: 'string' as const }, description: 'Revision, for If-Match', required: true } };
export const LocationHeader = { Location: { schema: { type: 'string' as const }, description: 'Path of the new resource', required: true } };
/** What a 201 of a mutable resource carries. */
export const CreatedHeaders = { ...ETagHeader, ...LocationHeader };
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
