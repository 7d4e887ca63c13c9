/**
 * Seeds every cleanup category with generate_series SQL (fast at 100k rows, and the same
 * statements run on PGlite, node-postgres and through the Data API), all relative to a fixed
 * "now" that the tests hand to runCleanup. Ids say what a row is, so checks can be exact.
 */
import { count, eq, sql } from 'drizzle-orm';
import type { Db } from '../../../db/client';
import { dlq, idempotencyKeys, pipelineRuns, taskRuns } from '../../../db/schema';

export const NOW = new Date('2030-06-01T00:00:00.000Z');
export const SETTINGS = { dlqRetentionDays: 30, runRetentionDays: 90, staleRunAfterSeconds: 600 } as const;

export interface SeedSizes {
  /** Terminal runs completed 100+ days ago (deleted) and 10 days ago (kept). */
  oldTerminalRuns: number;
  recentTerminalRuns: number;
  /** Running runs: heartbeat an hour old, never heartbeated but started 2 h ago (both timed out). */
  staleRuns: number;
  staleNeverHeartbeatRuns: number;
  /** Running runs with a fresh heartbeat or a recent start, and pending runs created an hour ago (kept). */
  liveRuns: number;
  liveNeverHeartbeatRuns: number;
  pendingRuns: number;
  /** Pending runs created 200 days ago, past PENDING_RUN_TIMEOUT_S: they never started (timed out). */
  neverStartedRuns: number;
  /** Task runs per terminal and live run. */
  taskRunsPerRun: number;
  /** DLQ entries failed 40 days ago (deleted), 5 days ago (kept), and 5 days ago on old runs (cascade). */
  oldDlq: number;
  recentDlq: number;
  cascadeDlq: number;
  expiredKeys: number;
  liveKeys: number;
}

export const SMALL: SeedSizes = {
  oldTerminalRuns: 7,
  recentTerminalRuns: 4,
  staleRuns: 3,
  staleNeverHeartbeatRuns: 2,
  liveRuns: 3,
  liveNeverHeartbeatRuns: 2,
  pendingRuns: 2,
  neverStartedRuns: 3,
  taskRunsPerRun: 2,
  oldDlq: 5,
  recentDlq: 4,
  cascadeDlq: 3,
  expiredKeys: 9,
  liveKeys: 4,
};

/**
 * 100k rows. Old terminal runs are the costly kind (each one cascades to its task runs and DLQ
 * entries inside the batch), so they are a minority, as they would be on a schedule that keeps up.
 */
export const LARGE: SeedSizes = {
  oldTerminalRuns: 3_000,
  recentTerminalRuns: 8_000,
  staleRuns: 3_000,
  staleNeverHeartbeatRuns: 1_000,
  liveRuns: 3_000,
  liveNeverHeartbeatRuns: 1_000,
  pendingRuns: 2_000,
  neverStartedRuns: 1_000,
  taskRunsPerRun: 2,
  oldDlq: 4_000,
  recentDlq: 3_000,
  cascadeDlq: 1_000,
  expiredKeys: 24_000,
  liveKeys: 18_000,
};

export const totalRows = (s: SeedSizes) => {
  const runs =
    s.oldTerminalRuns +
    s.recentTerminalRuns +
    s.staleRuns +
    s.staleNeverHeartbeatRuns +
    s.liveRuns +
    s.liveNeverHeartbeatRuns +
    s.pendingRuns +
    s.neverStartedRuns;
  const taskRuns = (s.oldTerminalRuns + s.recentTerminalRuns + s.liveRuns) * s.taskRunsPerRun;
  return runs + taskRuns + s.oldDlq + s.recentDlq + s.cascadeDlq + s.expiredKeys + s.liveKeys;
};

/** What cleanup must report for a seed (with SETTINGS), and what it must leave, by kind of row. */
export const expected = (s: SeedSizes) => ({
  steps: {
    staleRunsTimedOut: s.staleRuns + s.staleNeverHeartbeatRuns,
    pendingRunsTimedOut: s.neverStartedRuns,
    expiredIdempotencyKeys: s.expiredKeys,
    dlqEntries: s.oldDlq,
    terminalRuns: s.oldTerminalRuns,
  },
  left: {
    runs: {
      recentterm: s.recentTerminalRuns,
      'stale:timed_out': s.staleRuns,
      'stalenohb:timed_out': s.staleNeverHeartbeatRuns,
      'live:running': s.liveRuns,
      'livenohb:running': s.liveNeverHeartbeatRuns,
      'pending:pending': s.pendingRuns,
      'neverstarted:timed_out': s.neverStartedRuns,
    },
    taskRuns: { recentterm: s.recentTerminalRuns * s.taskRunsPerRun, live: s.liveRuns * s.taskRunsPerRun },
    dlq: { recentdlq: s.recentDlq },
    keys: { live: s.liveKeys },
  },
});

/** One project per seed (`tag`), so seeds can share a database. Statements run one at a time. */
export async function seed(db: Db, tag: string, s: SeedSizes): Promise<{ projectId: string }> {
  const p = `prj_${tag}`;
  const now = `'${NOW.toISOString()}'::timestamptz`;
  const ago = (expr: string) => `(${now} - (${expr}))`;
  const runs = (kind: string, n: number, status: string, extra: { started?: string; heartbeat?: string; completed?: string; created?: string }) => `
    insert into pipeline_runs (id, project_id, pipeline_id, version_id, status, created_at, updated_at, started_at, heartbeat_at, completed_at)
    select '${tag}_${kind}_' || g, '${p}', 'pl_${tag}', 'pv_${tag}', ${status},
      ${extra.created ?? ago("interval '200 days'")}, ${extra.created ?? ago("interval '200 days'")},
      ${extra.started ?? 'null'}, ${extra.heartbeat ?? 'null'}, ${extra.completed ?? 'null'}
    from generate_series(1, ${n}) g`;
  const terminal = `(array['succeeded','failed','cancelled','timed_out'])[1 + g % 4]`;
  // Task runs of the runs of one kind; task run i of run g is `<run id>_t<i>`.
  const taskRuns = (kind: string, n: number) => `
    insert into task_runs (id, project_id, run_id, stage_id, task_id, attempt, status, created_at, updated_at)
    select '${tag}_${kind}_' || g || '_t' || i, '${p}', '${tag}_${kind}_' || g, 'build', 'compile', i, 'failed', ${ago("interval '150 days'")}, ${ago("interval '150 days'")}
    from generate_series(1, ${n}) g, generate_series(1, ${s.taskRunsPerRun}) i`;
  // DLQ entry k uses the k-th task run of the runs of `kind` (numbered run by run).
  const dlqRows = (name: string, kind: string, n: number, failedAgo: string) => `
    insert into dlq (id, project_id, run_id, task_run_id, payload, error, attempts, failed_at, created_at, updated_at)
    select '${tag}_${name}_' || k, '${p}', '${tag}_${kind}_' || r, '${tag}_${kind}_' || r || '_t' || t,
      '{"seed":true}'::jsonb, '{"message":"boom"}'::jsonb, 3, ${ago(failedAgo)}, ${ago(failedAgo)}, ${ago(failedAgo)}
    from (select k, 1 + (k - 1) / ${s.taskRunsPerRun} as r, 1 + (k - 1) % ${s.taskRunsPerRun} as t from generate_series(1, ${n}) k) x`;
  const keys = (name: string, n: number, expires: string) => `
    insert into idempotency_keys (project_id, scope, key, state, expires_at, created_at)
    select '${p}', 'task', '${tag}_${name}_' || g, 'completed', ${expires}, ${ago("interval '2 days'")} from generate_series(1, ${n}) g`;

  if (
    s.oldDlq > s.recentTerminalRuns * s.taskRunsPerRun ||
    s.recentDlq > s.liveRuns * s.taskRunsPerRun ||
    s.cascadeDlq > s.oldTerminalRuns * s.taskRunsPerRun
  ) {
    throw new Error('seed: more DLQ entries than task runs to attach them to');
  }
  const statements = [
    `insert into projects (id, name) values ('${p}', 'cleanup ${tag}')`,
    `insert into pipelines (id, project_id, name) values ('pl_${tag}', '${p}', 'cleanup-${tag}')`,
    `insert into pipeline_versions (id, project_id, pipeline_id, number, hash, definition) values ('pv_${tag}', '${p}', 'pl_${tag}', 1, 'h_${tag}', '{"stages":[]}'::jsonb)`,
    runs('oldterm', s.oldTerminalRuns, terminal, { completed: ago("interval '100 days' + g * interval '1 second'"), started: ago("interval '101 days'") }),
    runs('recentterm', s.recentTerminalRuns, terminal, { completed: ago("interval '10 days'"), started: ago("interval '11 days'") }),
    runs('stale', s.staleRuns, `'running'`, { started: ago("interval '3 hours'"), heartbeat: ago("interval '1 hour' + g * interval '1 second'") }),
    runs('stalenohb', s.staleNeverHeartbeatRuns, `'running'`, { started: ago("interval '2 hours'") }),
    // Created long ago, but alive: only the heartbeat (or the start) counts.
    runs('live', s.liveRuns, `'running'`, { started: ago("interval '3 days'"), heartbeat: ago("interval '60 seconds'") }),
    runs('livenohb', s.liveNeverHeartbeatRuns, `'running'`, { started: ago("interval '60 seconds'") }),
    runs('pending', s.pendingRuns, `'pending'`, { created: ago("interval '1 hour'") }),
    runs('neverstarted', s.neverStartedRuns, `'pending'`, {}),
    taskRuns('oldterm', s.oldTerminalRuns),
    taskRuns('recentterm', s.recentTerminalRuns),
    taskRuns('live', s.liveRuns),
    dlqRows('olddlq', 'recentterm', s.oldDlq, "interval '40 days'"),
    dlqRows('recentdlq', 'live', s.recentDlq, "interval '5 days'"),
    dlqRows('cascadedlq', 'oldterm', s.cascadeDlq, "interval '5 days'"),
    keys('expired', s.expiredKeys, ago("interval '1 hour' + g * interval '1 second'")),
    keys('live', s.liveKeys, `${now} + interval '1 hour'`),
  ];
  for (const statement of statements) await db.execute(sql.raw(statement));
  return { projectId: p };
}

/**
 * Rows of the seed's project that are left, by kind (the second part of the id): runs also by
 * status, except terminal ones (seeded with mixed statuses). Kinds with no rows are absent.
 */
export async function remaining(db: Db, projectId: string) {
  const kind = sql<string>`split_part(id, '_', 2)`;
  const tally = (rows: { kind: string; n: number }[]) => Object.fromEntries(rows.map((r) => [r.kind, r.n]));
  const runs = await db
    .select({
      kind: sql<string>`split_part(id, '_', 2) || case when status in ('pending', 'running') or split_part(id, '_', 2) like 'stale%' or split_part(id, '_', 2) = 'neverstarted' then ':' || status else '' end`,
      n: count(),
    })
    .from(pipelineRuns)
    .where(eq(pipelineRuns.projectId, projectId))
    .groupBy(sql`1`);
  const byKind = async (table: typeof taskRuns | typeof dlq) =>
    tally(await db.select({ kind, n: count() }).from(table).where(eq(table.projectId, projectId)).groupBy(sql`1`));
  const keys = await db
    .select({ kind: sql<string>`split_part(key, '_', 2)`, n: count() })
    .from(idempotencyKeys)
    .where(eq(idempotencyKeys.projectId, projectId))
    .groupBy(sql`1`);
  return { runs: tally(runs), taskRuns: await byKind(taskRuns), dlq: await byKind(dlq), keys: tally(keys) };
}
