import { and, asc, desc, eq, inArray, sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client';
import { ConflictError } from '../../db/errors';
import { DEFAULT_MAX_ATTEMPTS, type ServiceStatus, services, taskCodeHistory, tasks } from '../../db/schema';
import { NotFoundError } from './errors';
import { newId } from './ids';
import { afterCursor, decodeCursor, encodeCursor, pageSize, toPage, type Page, type PageRequest } from './pagination';

type ServiceRow = typeof services.$inferSelect;
type TaskRow = typeof tasks.$inferSelect;
type HistoryRow = typeof taskCodeHistory.$inferSelect;

export const toTask = (row: TaskRow) => ({
  id: row.id,
  codeHash: row.codeHash,
  maxAttempts: row.maxAttempts,
  timeoutSeconds: row.timeoutSeconds,
  updatedAt: row.updatedAt.toISOString(),
});
export type Task = ReturnType<typeof toTask>;

export const toService = (row: ServiceRow, taskRows: TaskRow[]) => ({
  id: row.id,
  version: row.version,
  baseUrl: row.baseUrl,
  status: row.status,
  lastSeenAt: row.lastSeenAt.toISOString(),
  revision: row.revision,
  createdAt: row.createdAt.toISOString(),
  updatedAt: row.updatedAt.toISOString(),
  tasks: taskRows.map(toTask),
});
export type Service = ReturnType<typeof toService>;

export const toHistoryEntry = (row: HistoryRow) => ({
  id: row.id,
  taskId: row.taskId,
  serviceId: row.serviceId,
  previousHash: row.previousHash,
  newHash: row.newHash,
  changedAt: row.changedAt.toISOString(),
});
export type TaskHistoryEntry = ReturnType<typeof toHistoryEntry>;

export interface TaskRegistration {
  id: string;
  codeHash: string;
  maxAttempts?: number;
  timeoutSeconds?: number | null;
}

export interface ServiceRegistration {
  projectId: string;
  id: string;
  version?: string | null;
  baseUrl?: string | null;
  status?: ServiceStatus;
  /** Task ids must be unique (the API refuses duplicates with a 400 naming the path). */
  tasks: TaskRegistration[];
}

const tasksOfServices = (db: DbOrTx, projectId: string, serviceIds: string[]) =>
  db
    .select()
    .from(tasks)
    .where(and(eq(tasks.projectId, projectId), inArray(tasks.serviceId, serviceIds)))
    .orderBy(asc(tasks.serviceId), asc(tasks.id));

/**
 * Registers or refreshes a service (`created` tells which). PUT semantics for the service's own
 * fields: what the body leaves out is reset (version/baseUrl to null, status to active), because a
 * worker describes itself completely on every start. Tasks the body does not name are left alone
 * (a worker may be rolled out gradually); a named task that belongs to another service moves here.
 *
 * Why history is exact under concurrency (READ COMMITTED, the Postgres default):
 * 1. The service upsert row-locks the service, so concurrent PUTs of one service run one after
 *    the other from there on. ON CONFLICT DO UPDATE also makes 20 concurrent first PUTs yield
 *    exactly one insert.
 * 2. Tasks are first inserted with ON CONFLICT DO NOTHING: a row we insert is new, so its history
 *    row is (null -> hash). A concurrent inserter of the same id makes us wait for its commit and
 *    then skip the row, so only one transaction ever writes that first row.
 * 3. The other tasks are read with SELECT … FOR UPDATE. Under READ COMMITTED that waits for any
 *    holder and returns the latest committed hash, and nobody can change it until we commit, so
 *    "hash differs" is decided on the truth and the history row's previous hash is exactly the
 *    hash that row replaced. A plain SELECT would read a snapshot that a concurrent registration
 *    may already have superseded, writing duplicate or broken-chain history.
 * Locks are taken in task-id order (sorted insert, ORDER BY on the locking read), so two services
 * registering overlapping tasks do not deadlock each other (the tests race two of them); should
 * Postgres ever break one anyway, 40P01 surfaces as a retryable 409.
 *
 * Sequential awaits only: the Data API driver cannot run statements of one transaction at once.
 */
export async function registerService({ db, input }: { db: DbOrTx; input: ServiceRegistration }): Promise<{ service: Service; created: boolean }> {
  const { projectId, id: serviceId } = input;
  const wanted: WantedTask[] = [...input.tasks]
    .map((t) => ({
      id: t.id,
      codeHash: t.codeHash,
      maxAttempts: t.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
      timeoutSeconds: t.timeoutSeconds ?? null,
    }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const fields = { version: input.version ?? null, baseUrl: input.baseUrl ?? null, status: input.status ?? 'active' };

  return db.transaction(async (tx) => {
    const [service] = await tx
      .insert(services)
      .values({ projectId, id: serviceId, ...fields })
      .onConflictDoUpdate({
        target: [services.projectId, services.id],
        set: { ...fields, lastSeenAt: sql`now()`, updatedAt: sql`now()`, revision: sql`${services.revision} + 1` },
      })
      .returning();
    const owner = { tx, projectId, serviceId };
    const { changes, existing } = await insertNewTasks(owner, wanted);
    changes.push(...(await updateExistingTasks(owner, existing)));
    await recordHashChanges(owner, changes);
    const taskRows = await tasksOfServices(tx, projectId, [serviceId]);
    return { service: toService(service!, taskRows), created: service!.revision === 1 };
  });
}

type WantedTask = { id: string; codeHash: string; maxAttempts: number; timeoutSeconds: number | null };
type HashChange = { id: string; previousHash: string | null; newHash: string };
/** The registration's transaction and the service whose tasks it writes. */
type TaskOwner = { tx: DbOrTx; projectId: string; serviceId: string };

/** Step 2 above: the tasks nobody had; each gets its first history row. Returns the rest as `existing`. */
async function insertNewTasks({ tx, projectId, serviceId }: TaskOwner, wanted: WantedTask[]) {
  const changes: HashChange[] = [];
  if (!wanted.length) return { changes, existing: wanted };
  const inserted = await tx
    .insert(tasks)
    .values(wanted.map((t) => ({ projectId, serviceId, ...t })))
    .onConflictDoNothing({ target: [tasks.projectId, tasks.id] })
    .returning({ id: tasks.id, codeHash: tasks.codeHash });
  for (const row of inserted) changes.push({ id: row.id, previousHash: null, newHash: row.codeHash });
  const insertedIds = new Set(inserted.map((r) => r.id));
  return { changes, existing: wanted.filter((t) => !insertedIds.has(t.id)) };
}

/** Step 3 above: lock the tasks that exist, rewrite those that differ; returns their hash changes. */
async function updateExistingTasks({ tx, projectId, serviceId }: TaskOwner, existing: WantedTask[]): Promise<HashChange[]> {
  const changes: HashChange[] = [];
  if (!existing.length) return changes;
  const current = await tx
    .select()
    .from(tasks)
    .where(
      and(
        eq(tasks.projectId, projectId),
        inArray(
          tasks.id,
          existing.map((t) => t.id),
        ),
      ),
    )
    .orderBy(asc(tasks.id))
    .for('update');
  const byId = new Map(current.map((row) => [row.id, row]));
  const changed: WantedTask[] = [];
  for (const t of existing) {
    const row = byId.get(t.id);
    // Only a concurrent delete can take a row between the insert and the lock; let the client retry.
    if (!row) throw new ConflictError(`task ${t.id} vanished during registration`);
    if (row.codeHash !== t.codeHash) changes.push({ id: t.id, previousHash: row.codeHash, newHash: t.codeHash });
    const same = row.serviceId === serviceId && row.codeHash === t.codeHash && row.maxAttempts === t.maxAttempts && row.timeoutSeconds === t.timeoutSeconds;
    if (!same) changed.push(t);
  }
  if (changed.length) {
    // Every row exists and is locked by us, so this batch always takes the DO UPDATE branch:
    // one statement for any number of tasks instead of one UPDATE each.
    await tx
      .insert(tasks)
      .values(changed.map((t) => ({ projectId, serviceId, ...t })))
      .onConflictDoUpdate({
        target: [tasks.projectId, tasks.id],
        set: {
          serviceId: sql`excluded.service_id`,
          codeHash: sql`excluded.code_hash`,
          maxAttempts: sql`excluded.max_attempts`,
          timeoutSeconds: sql`excluded.timeout_seconds`,
          revision: sql`${tasks.revision} + 1`,
          updatedAt: sql`now()`,
        },
      });
  }
  return changes;
}

/** One history row per changed hash, in one statement. */
async function recordHashChanges({ tx, projectId, serviceId }: TaskOwner, changes: HashChange[]) {
  if (!changes.length) return;
  await tx.insert(taskCodeHistory).values(
    changes.map((change) => ({
      id: newId('codeHistory'),
      projectId,
      taskId: change.id,
      serviceId,
      previousHash: change.previousHash,
      newHash: change.newHash,
      // now() is the transaction's start, and a transaction that started earlier may get the
      // task lock later, so it cannot order the chain. The wall clock at write time, forced
      // past the task's latest entry (committed by the previous lock holder, so visible to
      // this statement), makes changed_at strictly increase along the chain: "newest first"
      // is then exactly the chain order, even within one millisecond.
      changedAt: sql`greatest(clock_timestamp(), (
        select max(h.changed_at) + interval '1 millisecond' from task_code_history h
        where h.project_id = ${projectId} and h.task_id = ${change.id}))`,
    })),
  );
}

/** Oldest first, like pipelines; each service with all of its tasks (one extra query per page). */
export async function listServices({ db, input }: { db: DbOrTx; input: PageRequest & { projectId: string } }): Promise<Page<Service>> {
  const limit = pageSize(input);
  const position = input.cursor ? decodeCursor('services', input.cursor) : undefined;
  const rows = await db
    .select()
    .from(services)
    .where(and(eq(services.projectId, input.projectId), afterCursor(services, position, 'asc')))
    .orderBy(asc(services.createdAt), asc(services.id))
    .limit(limit + 1);
  const page = rows.slice(0, limit);
  const taskRows = page.length
    ? await tasksOfServices(
        db,
        input.projectId,
        page.map((s) => s.id),
      )
    : [];
  const byService = new Map<string, TaskRow[]>();
  for (const task of taskRows) {
    const list = byService.get(task.serviceId);
    if (list) list.push(task);
    else byService.set(task.serviceId, [task]);
  }
  return toPage('services', rows, limit, (row) => toService(row, byService.get(row.id) ?? []));
}

/** Newest first; keyset on (changed_at, id), which registerService keeps strictly ordered per task. */
export async function listTaskHistory({
  db,
  input,
}: {
  db: DbOrTx;
  input: PageRequest & { projectId: string; taskId: string };
}): Promise<Page<TaskHistoryEntry>> {
  const limit = pageSize(input);
  const position = input.cursor ? decodeCursor('task-history', input.cursor) : undefined;
  const keyset = { createdAt: taskCodeHistory.changedAt, id: taskCodeHistory.id };
  const rows = await db
    .select()
    .from(taskCodeHistory)
    .where(and(eq(taskCodeHistory.projectId, input.projectId), eq(taskCodeHistory.taskId, input.taskId), afterCursor(keyset, position, 'desc')))
    .orderBy(desc(taskCodeHistory.changedAt), desc(taskCodeHistory.id))
    .limit(limit + 1);
  // Only an empty page needs the existence check that tells "unknown task" (404) from "no more
  // entries"; with a cursor too, which may have been issued for another task's history.
  if (rows.length === 0) {
    const [task] = await db
      .select({ id: tasks.id })
      .from(tasks)
      .where(and(eq(tasks.projectId, input.projectId), eq(tasks.id, input.taskId)));
    if (!task) throw new NotFoundError('task', input.taskId);
  }
  const items = rows.slice(0, limit);
  const last = items.at(-1);
  return {
    items: items.map(toHistoryEntry),
    nextCursor: rows.length > limit && last ? encodeCursor('task-history', { createdAt: last.changedAt, id: last.id }) : null,
  };
}
