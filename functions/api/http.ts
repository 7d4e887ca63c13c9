import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { AppEnv } from './env';
import { ApiError, problem, problemResponse } from './problem';

export const MAX_BODY_BYTES = 1024 * 1024;

export const limitBodySize = bodyLimit({
  maxSize: MAX_BODY_BYTES,
  onError: (c) =>
    problemResponse(c, problem(413, 'payload_too_large', `the request body exceeds ${MAX_BODY_BYTES} bytes`)),
});

/** A body we would otherwise misread (form data, text) is refused before any validation (POST, PUT, PATCH). */
export const requireJsonBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  const hasBody = c.req.raw.body !== null && c.req.header('content-length') !== '0';
  if (hasBody) {
    const type = c.req.header('content-type') ?? '';
    if (!/^application\/([a-z.+-]*\+)?json\s*(;|$)/i.test(type)) {
      throw new ApiError(
        problem(415, 'unsupported_media_type', `expected Content-Type: application/json, got ${JSON.stringify(type || null)}`),
      );
    }
  }
  return next();
};

export const etag = (revision: number) => `"${revision}"`;

/** The revision an If-Match header asks for; undefined when absent or "*". */
export function ifMatchRevision(c: Context): number | undefined {
  const header = c.req.header('If-Match')?.trim();
  if (header === undefined || header === '*') return undefined;
  const match = /^(?:W\/)?"([1-9][0-9]{0,9})"$/.exec(header);
  if (!match) {
    throw new ApiError(
      problem(400, 'invalid_if_match', 'If-Match must be one ETag as returned by this API, e.g. "3"', {
        errors: [{ path: 'header.if-match', message: 'expected a quoted revision such as "3"' }],
      }),
    );
  }
  return Number(match[1]);
}
