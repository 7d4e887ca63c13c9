import { index, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { timestamptz } from './columns';
import { apiKeys, projects } from './projects';

/**
 * Web console sign-ins. The session token lives only in the browser's cookie: the row keeps its
 * SHA-256, so a database dump signs nobody in. A session belongs to the API key it was opened
 * with; revoking or expiring that key ends it (every lookup joins the key), and deleting the key
 * or the project deletes it.
 */
export const consoleSessions = pgTable(
  'console_sessions',
  {
    id: text().primaryKey(),
    projectId: text()
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    apiKeyId: text()
      .notNull()
      .references(() => apiKeys.id, { onDelete: 'cascade' }),
    tokenHash: text().notNull(),
    createdAt: timestamptz().notNull().defaultNow(),
    expiresAt: timestamptz().notNull(),
  },
  (t) => [
    // Every console request: the session by the hash of its cookie.
    uniqueIndex('console_sessions_token_hash_idx').on(t.tokenHash),
    // Deleting a key (cascade) finds its sessions without a scan; also what ends them on revocation.
    index('console_sessions_api_key_id_idx').on(t.apiKeyId),
    // Purging expired sessions.
    index('console_sessions_expires_at_idx').on(t.expiresAt),
  ],
);
