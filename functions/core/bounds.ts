/**
 * What values can be stored at all: the limits Postgres and JavaScript impose, shared by the API's
 * request schemas, its body checks and the decoding of cursors, so that a value out of range is
 * refused as a 400 where it comes in instead of failing in a statement as a 500.
 */

/** The largest value of a Postgres `integer` (int4) column: revisions, version numbers, attempts. */
export const INT4_MAX = 2_147_483_647;

/**
 * Instants the API accepts and returns: 4-digit years, after any UTC offset is applied. Postgres
 * holds 4713 BC to 294276 AD and JavaScript ±275760 years, but an ISO-8601 string outside years
 * 0001-9999 needs the expanded `+YYYYYY` form that RFC 3339 (`format: date-time`) does not allow.
 */
export const MIN_TIMESTAMP_MS = Date.parse('0001-01-01T00:00:00.000Z');
export const MAX_TIMESTAMP_MS = Date.parse('9999-12-31T23:59:59.999Z');

export const isStorableTime = (ms: number) => Number.isFinite(ms) && ms >= MIN_TIMESTAMP_MS && ms <= MAX_TIMESTAMP_MS;

/**
 * How deep objects and arrays may nest in a request body (the body itself is level 1). Checked on
 * the raw text before anything parses or walks it, so nothing recursive ever sees a deeper value.
 */
export const MAX_JSON_DEPTH = 64;

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Why a string cannot be stored as Postgres text or jsonb, or undefined when it can: U+0000 is
 * refused by both, and a lone UTF-16 surrogate has no UTF-8 encoding (it would be stored as U+FFFD,
 * silently changing the value, or break canonical JSON).
 */
export function unstorableText(value: string): string | undefined {
  if (value.includes('\0')) return 'must not contain the NUL character (U+0000)';
  if (LONE_SURROGATE.test(value)) return 'must not contain a lone UTF-16 surrogate (not valid Unicode)';
  return undefined;
}
