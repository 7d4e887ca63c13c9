import { sql } from 'drizzle-orm';
import { check, foreignKey, index, integer, pgTable, primaryKey, text } from 'drizzle-orm/pg-core';
import { isOneOf, mutableRow, timestamptz } from './columns';
import { projects } from './projects';

/** A task's attempt budget when its registration gives none, and for a task the registry does not know. */
export const DEFAULT_MAX_ATTEMPTS = 3;

export const SERVICE_STATUSES = ['active', 'draining', 'inactive'] as const;
export type ServiceStatus = (typeof SERVICE_STATUSES)[number];

/** Worker services name themselves (`PUT /v1/services/{id}`), so ids are unique per project. */
export const services = pgTable(
  'services',
  {
    projectId: text()
      .notNull()
      .references(() => projects.id, { onDelete: 'cascade' }),
    id: text().notNull(),
    version: text(),
    baseUrl: text(),
    status: text().$type<ServiceStatus>().notNull().default('active'),
    lastSeenAt: timestamptz().notNull().defaultNow(),
    ...mutableRow,
  },
  (t) => [primaryKey({ name: 'services_pkey', columns: [t.projectId, t.id] }), check('services_status_check', isOneOf(t.status, SERVICE_STATUSES))],
);

export const tasks = pgTable(
  'tasks',
  {
    projectId: text().notNull(),
    id: text().notNull(),
    serviceId: text().notNull(),
    codeHash: text().notNull(),
    maxAttempts: integer().notNull().default(DEFAULT_MAX_ATTEMPTS),
    timeoutSeconds: integer(),
    ...mutableRow,
  },
  (t) => [
    primaryKey({ name: 'tasks_pkey', columns: [t.projectId, t.id] }),
    foreignKey({
      name: 'tasks_service_fk',
      columns: [t.projectId, t.serviceId],
      foreignColumns: [services.projectId, services.id],
    }).onDelete('cascade'),
    check('tasks_max_attempts_check', sql`${t.maxAttempts} >= 1`),
    // Registering a service refreshes all of its tasks.
    index('tasks_project_id_service_id_idx').on(t.projectId, t.serviceId),
  ],
);

/** Audit trail: one row exactly when a task's code hash changes (the first registration included). */
export const taskCodeHistory = pgTable(
  'task_code_history',
  {
    id: text().primaryKey(),
    projectId: text().notNull(),
    taskId: text().notNull(),
    serviceId: text().notNull(),
    previousHash: text(),
    newHash: text().notNull(),
    changedAt: timestamptz().notNull().defaultNow(),
  },
  (t) => [
    foreignKey({
      name: 'task_code_history_task_fk',
      columns: [t.projectId, t.taskId],
      foreignColumns: [tasks.projectId, tasks.id],
    }).onDelete('cascade'),
    // GET /v1/tasks/{id}/history: newest first, read backwards (see pipeline_runs on .desc()).
    index('task_code_history_project_id_task_id_changed_at_id_idx').on(t.projectId, t.taskId, t.changedAt, t.id),
  ],
);
