import { sql } from 'drizzle-orm';
import { check, index, integer, jsonb, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { isOneOf, timestamptz } from './columns';
import { projects } from './projects';

export const IDEMPOTENCY_SCOPES = ['http', 'task'] as const;
export type IdempotencyScope = (typeof IDEMPOTENCY_SCOPES)[number];
export const IDEMPOTENCY_STATES = ['in_flight', 'completed'] as const;
export type IdempotencyState = (typeof IDEMPOTENCY_STATES)[number];

/**
 * Both the HTTP `Idempotency-Key` cache (scope http: stored response of a POST) and the task
 * result cache (scope task: `PUT /v1/idempotency/{key}`).
 */
export const idempotencyKeys = pgTable(
  'idempotency_keys',
  {
    projectId: text()
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    scope: text().$type<IdempotencyScope>().notNull(),
    key: text().notNull(),
    fingerprint: text(),
    state: text().$type<IdempotencyState>().notNull().default('in_flight'),
    responseStatus: integer(),
    responseBody: jsonb(),
    // The few headers a replay must repeat (Location, ETag, Content-Type).
    responseHeaders: jsonb().$type<Record<string, string>>(),
    createdAt: timestamptz().notNull().defaultNow(),
    expiresAt: timestamptz().notNull(),
  },
  (t) => [
    primaryKey({ name: 'idempotency_keys_pkey', columns: [t.projectId, t.scope, t.key] }),
    check('idempotency_keys_scope_check', isOneOf(t.scope, IDEMPOTENCY_SCOPES)),
    check('idempotency_keys_state_check', isOneOf(t.state, IDEMPOTENCY_STATES)),
    check('idempotency_keys_key_length_check', sql`char_length(${t.key}) between 1 and 255`),
    // Cleanup: expired keys.
    index('idempotency_keys_expires_at_idx').on(t.expiresAt),
  ],
);
