import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import canonicalize from 'canonicalize';
import { type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import type { DbOrTx } from '../../db/client';
import { INT4_MAX, isStorableTime, unstorableText } from './bounds';
import { ValidationError } from './errors';
import { sha256Hex } from './hashing';

export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 200;

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface PageRequest {
  limit?: number;
  cursor?: string;
}

/** A keyset position: the (created_at, id) of the last row of the previous page. */
export interface Position {
  createdAt: Date;
  id: string;
}

/**
 * Cursors are signed with HMAC-SHA256 under a server-side key: a client can neither edit one nor
 * mint one, and the list name inside stops reuse across lists. Every process serving the same
 * database must sign with the same key (the API's comes from its configuration, see
 * functions/api/app.ts). Every key configured in a process verifies (several apps with different
 * configurations can share a process, as tests do); the last one signs. A process that configures
 * none signs with a random key of its own.
 */
export class CursorKeys {
  private static readonly MAX_KEYS = 8;
  private readonly keys: Buffer[] = [];

  use(secret: string | Buffer): void {
    const key = createHmac('sha256', 'pipestore cursor signing v1').update(secret).digest();
    const known = this.keys.findIndex((k) => k.equals(key));
    if (known >= 0) this.keys.splice(known, 1);
    this.keys.push(key);
    if (this.keys.length > CursorKeys.MAX_KEYS) this.keys.shift();
  }

  /** The first 128 bits of the HMAC-SHA256 of the payload, base64url. */
  sign(payload: string): string {
    if (this.keys.length === 0) this.use(randomBytes(32));
    return CursorKeys.mac(this.keys.at(-1)!, payload).toString('base64url');
  }

  verify(payload: string, signature: string): boolean {
    const given = Buffer.from(signature, 'base64url');
    return this.keys.some((key) => {
      const expected = CursorKeys.mac(key, payload);
      return given.length === expected.length && timingSafeEqual(given, expected);
    });
  }

  private static mac(key: Buffer, payload: string): Buffer {
    return createHmac('sha256', key).update(payload).digest().subarray(0, 16);
  }
}

const processKeys = new CursorKeys();

/** Configures the key this process signs cursors with (and keeps verifying earlier ones). */
export const useCursorSecret = (secret: string | Buffer): void => processKeys.use(secret);

const invalidCursor = () => new ValidationError('the cursor is invalid', [{ path: 'query.cursor', message: 'not a cursor issued by this list' }]);

/** Encodes any keyset key (a tuple of JSON values) for the named list. */
export function encodeKey(list: string, key: unknown[]): string {
  const payload = Buffer.from(JSON.stringify([list, ...key])).toString('base64url');
  return `${payload}.${processKeys.sign(payload)}`;
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/** The key of a cursor issued by `encodeKey` for the same list; anything else is a 400. */
export function decodeKey(list: string, cursor: string): unknown[] {
  const [payload, signature, extra] = cursor.split('.');
  if (!payload || !signature || extra !== undefined || !BASE64URL.test(payload) || !BASE64URL.test(signature)) throw invalidCursor();
  if (!processKeys.verify(payload, signature)) throw invalidCursor();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(decoded) || decoded[0] !== list) throw invalidCursor();
  return decoded.slice(1);
}

export const encodeCursor = (list: string, position: Position): string => encodeKey(list, [position.createdAt.toISOString(), position.id]);

// What a genuine cursor can carry: storable timestamps, ids of the API's length. Checked even
// though cursors are signed: a leaked key must not turn into 500s.
const MAX_ID_LENGTH = 100;

export function decodeCursor(list: string, cursor: string): Position {
  const [createdAt, id, extra] = decodeKey(list, cursor);
  if (typeof createdAt !== 'string' || typeof id !== 'string' || extra !== undefined) throw invalidCursor();
  const date = new Date(createdAt);
  if (!isStorableTime(date.getTime())) throw invalidCursor();
  if (id.length === 0 || id.length > MAX_ID_LENGTH || unstorableText(id)) throw invalidCursor();
  return { createdAt: date, id };
}

/** A whole number a cursor carries that must fit an `integer` (int4) column. */
export function cursorInteger(value: unknown, min = 0): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > INT4_MAX) throw invalidCursor();
  return value;
}

/**
 * Where-clause for the rows after the cursor in (created_at, id) order. A row comparison so that
 * Postgres can walk the (…, created_at, id) index from the position instead of filtering.
 */
export function afterCursor(columns: { createdAt: AnyPgColumn; id: AnyPgColumn }, position: Position | undefined, order: 'asc' | 'desc'): SQL | undefined {
  if (!position) return undefined;
  return keysetAfter(columns, sql`${position.createdAt.toISOString()}`, sql`${position.id}`, order);
}

/** `afterCursor` with the position as SQL (a prepared statement's placeholders). */
export function keysetAfter(columns: { createdAt: AnyPgColumn; id: AnyPgColumn }, createdAt: SQL, id: SQL, order: 'asc' | 'desc'): SQL {
  return order === 'asc'
    ? sql`(${columns.createdAt}, ${columns.id}) > (${createdAt}::timestamptz, ${id})`
    : sql`(${columns.createdAt}, ${columns.id}) < (${createdAt}::timestamptz, ${id})`;
}

/** Rows were fetched with limit + 1: the extra row only says whether there is a next page. */
export function toPage<Row extends { createdAt: Date; id: string }, Item>(list: string, rows: Row[], limit: number, toItem: (row: Row) => Item): Page<Item> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map(toItem),
    nextCursor: rows.length > limit && last ? encodeCursor(list, last) : null,
  };
}

export const pageSize = (request: PageRequest) => Math.min(request.limit ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);

/**
 * A list name that includes a digest of the filters: a cursor issued for one filter set fails to
 * verify for any other (400), instead of silently paging through a different list.
 */
export function filteredList(list: string, filters: unknown): string {
  return `${list}:${sha256Hex(canonicalize(filters) ?? 'null').slice(0, 16)}`;
}

/** A filtered list across a project: the arguments of listProjectRuns and listProjectTaskRuns. */
export interface ProjectListRequest<Filters> {
  db: DbOrTx;
  projectId: string;
  filters?: Filters;
  cursor?: string;
  limit?: number;
}

/** Where a request's page starts in the named list: its size, and the position after its cursor. */
export function pageStart(list: string, request: PageRequest): { limit: number; position: Position | undefined } {
  return { limit: pageSize(request), position: request.cursor ? decodeCursor(list, request.cursor) : undefined };
}
