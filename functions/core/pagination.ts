import { createHash } from 'node:crypto';
import { type SQL, sql } from 'drizzle-orm';
import type { AnyPgColumn } from 'drizzle-orm/pg-core';
import { ValidationError } from './errors';

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

// The checksum makes a cursor opaque to clients: editing it is detected and rejected with a 400
// instead of silently paging from a wrong position. The list name stops reuse across lists.
const checksum = (payload: string) => createHash('sha256').update(payload).digest('base64url').slice(0, 12);

const invalidCursor = () =>
  new ValidationError('the cursor is invalid', [{ path: 'query.cursor', message: 'not a cursor issued by this list' }]);

/** Encodes any keyset key (a tuple of JSON values) for the named list. */
export function encodeKey(list: string, key: unknown[]): string {
  const payload = Buffer.from(JSON.stringify([list, ...key])).toString('base64url');
  return `${payload}.${checksum(payload)}`;
}

/** The key of a cursor issued by `encodeKey` for the same list; anything else is a 400. */
export function decodeKey(list: string, cursor: string): unknown[] {
  const [payload, sum, extra] = cursor.split('.');
  if (!payload || !sum || extra !== undefined || checksum(payload) !== sum) throw invalidCursor();
  let decoded: unknown;
  try {
    decoded = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor();
  }
  if (!Array.isArray(decoded) || decoded[0] !== list) throw invalidCursor();
  return decoded.slice(1);
}

export const encodeCursor = (list: string, position: Position): string =>
  encodeKey(list, [position.createdAt.toISOString(), position.id]);

export function decodeCursor(list: string, cursor: string): Position {
  const [createdAt, id] = decodeKey(list, cursor);
  const date = new Date(String(createdAt));
  if (typeof createdAt !== 'string' || typeof id !== 'string' || Number.isNaN(date.getTime())) throw invalidCursor();
  return { createdAt: date, id };
}

/**
 * Where-clause for the rows after the cursor in (created_at, id) order. A row comparison so that
 * Postgres can walk the (…, created_at, id) index from the position instead of filtering.
 */
export function afterCursor(
  columns: { createdAt: AnyPgColumn; id: AnyPgColumn },
  position: Position | undefined,
  order: 'asc' | 'desc',
): SQL | undefined {
  if (!position) return undefined;
  return keysetAfter(columns, sql`${position.createdAt.toISOString()}`, sql`${position.id}`, order);
}

/** `afterCursor` with the position as SQL (a prepared statement's placeholders). */
export function keysetAfter(
  columns: { createdAt: AnyPgColumn; id: AnyPgColumn },
  createdAt: SQL,
  id: SQL,
  order: 'asc' | 'desc',
): SQL {
  return order === 'asc'
    ? sql`(${columns.createdAt}, ${columns.id}) > (${createdAt}::timestamptz, ${id})`
    : sql`(${columns.createdAt}, ${columns.id}) < (${createdAt}::timestamptz, ${id})`;
}

/** Rows were fetched with limit + 1: the extra row only says whether there is a next page. */
export function toPage<Row extends { createdAt: Date; id: string }, Item>(
  list: string,
  rows: Row[],
  limit: number,
  toItem: (row: Row) => Item,
): Page<Item> {
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map(toItem),
    nextCursor: rows.length > limit && last ? encodeCursor(list, last) : null,
  };
}

export const pageSize = (request: PageRequest) => Math.min(request.limit ?? DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE);
