import type { Context, MiddlewareHandler } from 'hono';
import { MAX_JSON_DEPTH, unstorableText } from '../core/bounds';
import type { FieldError } from '../core/errors';
import { log } from '../log';
import type { AppEnv } from './env';
import { ApiError, problem } from './problem';

export const MAX_BODY_BYTES = 1024 * 1024;
/** How many offending strings one 400 names at most (a body can hold thousands). */
const MAX_REPORTED = 20;

// The media types the routes' validators treat as JSON (the same test as @hono/zod-openapi's).
const JSON_CONTENT_TYPE = /^application\/([a-z-.]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$/i;

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The one reader of request bodies (POST, PUT, PATCH), mounted after `authorize`. It makes every
 * body either absent or a JSON value that can be stored as it was sent, before any route code, the
 * idempotency layer or anything recursive sees it:
 * - an empty body is no body, whatever the headers say (`curl -X POST URL` sends neither
 *   Content-Length nor Content-Type), so routes whose body is optional accept it;
 * - over MAX_BODY_BYTES is 413, a non-JSON Content-Type or a content coding 415;
 * - a body whose stream fails (malformed chunked framing, client gone) is a client error: 400,
 *   logged at warn;
 * - not UTF-8, nested deeper than MAX_JSON_DEPTH (checked on the text, so no recursive parse or
 *   stringify ever sees a deeper value), or not JSON: 400;
 * - a string or key that Postgres text/jsonb cannot hold as sent (NUL, lone surrogate): 400 naming
 *   each one's field path.
 * The bytes and text are left in Hono's body cache (c.req.arrayBuffer(), c.req.text(), and
 * c.req.json() parses the text), so the validators and the idempotency layer read them again for
 * free. Read bodies through c.req, never c.req.raw: its stream is spent.
 */
export const readJsonBody: MiddlewareHandler<AppEnv> = async (c, next) => {
  const bytes = await readBytes(c);
  if (bytes.byteLength === 0) {
    dropBody(c);
    return next();
  }
  const encoding = c.req.header('content-encoding');
  if (encoding && encoding.trim().toLowerCase() !== 'identity') {
    throw new ApiError(problem(415, 'unsupported_media_type', `request bodies cannot be ${JSON.stringify(encoding)}-encoded`));
  }
  const type = c.req.header('content-type') ?? '';
  if (!JSON_CONTENT_TYPE.test(type)) {
    throw new ApiError(problem(415, 'unsupported_media_type', `expected Content-Type: application/json, got ${JSON.stringify(type || null)}`));
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new ApiError(problem(400, 'invalid_encoding', 'the request body is not valid UTF-8'));
  }
  if (exceedsDepth(text, MAX_JSON_DEPTH)) {
    throw new ApiError(problem(400, 'json_too_deep', `the request body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep`));
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new ApiError(problem(400, 'malformed_json', 'the request body is not valid JSON'));
  }
  const errors = unstorableStrings(value);
  if (errors.length) throw new ApiError(problem(400, 'validation_failed', 'the request is invalid', { errors }));
  // Hono keeps promises there (its types say values).
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
  const cache = c.req.bodyCache as Record<string, Promise<unknown>>;
  cache.arrayBuffer = Promise.resolve(buffer);
  cache.text = Promise.resolve(text);
  // c.req.raw's stream is spent and stays so: rebuilding the Request around the bytes (so that
  // raw could be read again) cost more than reading and checking the body did, on every write.
  return next();
};

async function readBytes(c: Context<AppEnv>): Promise<Uint8Array> {
  const body = c.req.raw.body;
  if (body === null) return new Uint8Array(0);
  const declared = c.req.header('content-length');
  if (declared !== undefined && Number(declared) > MAX_BODY_BYTES) throw tooLarge();
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      size += value.byteLength;
      if (size > MAX_BODY_BYTES) {
        // Released, not cancelled: the local server reads and discards the rest so the client's
        // connection stays usable (functions/local/early-answers.ts).
        reader.releaseLock();
        throw tooLarge();
      }
      chunks.push(value);
    }
  } catch (err) {
    if (err instanceof ApiError) throw err;
    // The stream failed under us: bad chunked framing, a body shorter than its Content-Length, a
    // client that went away. Nothing was read that we could act on, and nothing is wrong here.
    log.warn('request body could not be read', {
      requestId: c.get('requestId'),
      method: c.req.method,
      path: c.req.path,
      status: 400,
      error: err instanceof Error ? `${err.name}: ${err.message}` : String(err),
    });
    throw new ApiError(problem(400, 'malformed_body', 'the request body could not be read (malformed or incomplete)'));
  }
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks, size);
}

const tooLarge = () => new ApiError(problem(413, 'payload_too_large', `the request body exceeds ${MAX_BODY_BYTES} bytes`));

/** An empty body becomes no body: the validators then see neither bytes nor a Content-Type. */
function dropBody(c: Context<AppEnv>): void {
  const headers = new Headers(c.req.raw.headers);
  headers.delete('content-type');
  headers.delete('content-length');
  headers.delete('transfer-encoding');
  headers.delete('content-encoding');
  c.req.raw = new Request(c.req.raw.url, { method: c.req.method, headers, signal: c.req.raw.signal });
}

/** Whether objects and arrays nest deeper than `max` in JSON text, found without parsing it. */
export function exceedsDepth(text: string, max: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c /* \ */) i++;
      else if (ch === 0x22 /* " */) inString = false;
    } else if (ch === 0x22) inString = true;
    else if (ch === 0x5b /* [ */ || ch === 0x7b /* { */) {
      if (++depth > max) return true;
    } else if (ch === 0x5d /* ] */ || ch === 0x7d /* } */) depth--;
  }
  return false;
}

/**
 * Every string and object key of a parsed body that cannot be stored as sent, with its dotted
 * path (`input.a.0`, the form of validation errors). Iterative: the depth is already bounded, but
 * the number of values is not.
 */
export function unstorableStrings(root: unknown): FieldError[] {
  const errors: FieldError[] = [];
  const stack: { value: unknown; path: string }[] = [{ value: root, path: '' }];
  while (stack.length && errors.length < MAX_REPORTED) {
    const { value, path } = stack.pop()!;
    if (typeof value === 'string') {
      const problemText = unstorableText(value);
      if (problemText) errors.push({ path, message: problemText });
    } else if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) stack.push({ value: value[i], path: join(path, String(i)) });
    } else if (value !== null && typeof value === 'object') {
      const entries = Object.entries(value);
      for (let i = entries.length - 1; i >= 0; i--) {
        const [key, child] = entries[i]!;
        const keyProblem = unstorableText(key);
        if (keyProblem) errors.push({ path: join(path, escapeKey(key)), message: `key ${keyProblem}` });
        else stack.push({ value: child, path: join(path, key) });
      }
    }
  }
  return errors.slice(0, MAX_REPORTED);
}

const join = (path: string, key: string) => (path ? `${path}.${key}` : key);

/** A key that is not storable, shown with \uXXXX escapes so the path itself is clean text. */
const escapeKey = (key: string) => key.replace(/[\0\uD800-\uDFFF]/g, (ch) => `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`);
