import { index, pgTable, text, uniqueIndex } from 'drizzle-orm/pg-core';
import { mutableRow, timestamptz } from './columns';

export const projects = pgTable(
  'projects',
  {
    id: text().primaryKey(),
    name: text().notNull(),
    ...mutableRow,
  },
  (t) => [
    // GET /v1/projects: keyset pagination, oldest first.
    index('projects_created_at_id_idx').on(t.createdAt, t.id),
  ],
);

/** API keys are never stored in clear: only the SHA-256 of the whole key, its prefix and last four. */
export const apiKeys = pgTable(
  'api_keys',
  {
    id: text().primaryKey(),
    projectId: text()
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    name: text(),
    prefix: text().notNull(),
    hash: text().notNull(),
    lastFour: text().notNull(),
    createdAt: timestamptz().notNull().defaultNow(),
    expiresAt: timestamptz(),
    revokedAt: timestamptz(),
  },
  (t) => [
    // Authentication of every request: look the presented key up by its hash.
    uniqueIndex('api_keys_hash_idx').on(t.hash),
    // Listing and revoking the keys of one project.
    index('api_keys_project_id_idx').on(t.projectId),
  ],
);
