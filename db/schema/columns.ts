import { sql, type SQL } from 'drizzle-orm';
import { type AnyPgColumn, integer, timestamp } from 'drizzle-orm/pg-core';

/**
 * Millisecond precision on purpose: a JS Date holds milliseconds, so what we write is exactly
 * what we read back, and keyset cursors built from `created_at` compare equal to the stored value.
 */
export const timestamptz = () => timestamp({ withTimezone: true, precision: 3, mode: 'date' });

/** Columns of every mutable row: `revision` backs ETag / If-Match. */
export const mutableRow = {
  revision: integer().notNull().default(1),
  createdAt: timestamptz().notNull().defaultNow(),
  updatedAt: timestamptz().notNull().defaultNow(),
};

/** `column in ('a', 'b')` for a check constraint; values are our own constants, never user input. */
export const isOneOf = (column: AnyPgColumn, values: readonly string[]): SQL => sql`${column} in (${sql.raw(values.map((v) => `'${v}'`).join(', '))})`;
