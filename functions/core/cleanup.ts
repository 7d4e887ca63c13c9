import { count, sql, type SQL } from 'drizzle-orm';
import type { Db, Tx } from '../../db/client';
import { asDatabaseError, ConflictError, StatementTimeoutError } from '../../db/errors';
import { TERMINAL_RUN_STATUSES, pipelineRuns } from '../../db/schema';
import { log } from '../log';
import { DEFAULT_PENDING_RUN_TIMEOUT_S } from './cleanup-defaults';

/**
 * Scheduled cleanup (README, Deploying to AWS), shared by the Lambda cron and the CLI's `db cleanup`.
 *
 * Every step works in batches, each one short transaction that locks its rows with
 * `FOR UPDATE SKIP LOCKED` (rows a request is writing are left for the next round instead of
 * waiting for them) under a `lock_timeout` (cascades can still meet a lock). The batch size adapts
 * to the cost of a row (TARGET_STATEMENT_MS), and no batch starts that would not fit in the budget:
 * then the result says `complete: false` and the next call carries on where this one stopped.
 * Only SQL features that PGlite, node-postgres and the Data API all run are used, with no
 * statements in parallel (the Data API forbids it inside a transaction).
 */

export type CleanupStep = 'staleRunsTimedOut' | 'pendingRunsTimedOut' | 'expiredIdempotencyKeys' | 'dlqEntries' | 'terminalRuns';

export interface CleanupInput {
  /** The cleanup's notion of "now" (tests); the database clock otherwise. */
  now?: Date;
  dlqRetentionDays: number;
  /** Terminal runs are kept forever unless this is set. */
  runRetentionDays?: number;
  staleRunAfterSeconds: number;
  /** Pending runs created longer ago than this are timed out (default DEFAULT_PENDING_RUN_TIMEOUT_S). */
  pendingRunTimeoutSeconds?: number;
  /** Wall time the call may take; work that would not fit is left for the next call. */
  budgetMs: number;
  /** Upper bound of rows per batch (the adaptive size never exceeds it). */
  batchSize?: number;
  /** Count what would be done, change nothing. */
  dryRun?: boolean;
}

export interface CleanupResult {
  /** Rows deleted (runs: timed out) per step; in a dry run, rows that would be. */
  steps: Record<CleanupStep, number>;
  /** False when the budget ran out or a step met locks it could not take: call again. */
  complete: boolean;
  dryRun: boolean;
  /** Steps that did not finish (budget, lock timeout) or were switched off (runRetentionDays). */
  unfinished: CleanupStep[];
  skipped: CleanupStep[];
  batches: number;
  durationMs: number;
  longestBatchMs: number;
}

/**
 * A bound, not the pace: TARGET_STATEMENT_MS sets the pace. Cheap rows (a run without task runs)
 * fit thousands to a statement; a low bound would split a large backlog into many short batches,
 * each paying its round trips and a commit (`npm run bench:cleanup` measures it).
 */
export const DEFAULT_CLEANUP_BATCH_SIZE = 10_000;
/**
 * What the DML statement of a batch should take: its rows stay locked from then until the commit.
 * The transaction's fixed cost (BEGIN, settings, COMMIT: a round trip each, far slower through the
 * Data API) is left out of the sizing, or the Data API would shrink batches to nothing.
 */
const TARGET_STATEMENT_MS = 40;
const FIRST_BATCH_SIZE = 50;
const LOCK_TIMEOUT_MS = 1_000;
/** A batch is never assumed to take less than this when deciding whether it still fits. */
const MIN_BATCH_ESTIMATE_MS = 20;

// Literals, not parameters: the same statement text whatever the retention (one plan).
const TERMINAL = sql.raw(`(${TERMINAL_RUN_STATUSES.map((status) => `'${status}'`).join(', ')})`);

/** What one batch did: rows it locked (fewer than asked: the step is drained) and handled. */
interface Batch {
  locked: number;
  done: number;
  /** Where the next batch of the step starts (the ordered delete steps), as text. */
  last?: string;
}

interface StepPlan {
  name: CleanupStep;
  /** The rows this step handles, over unqualified columns of `table`. */
  table: string;
  where: SQL;
  /** Handles at most `limit` of those rows in `tx`, from where the previous batch stopped. */
  batch(tx: Tx, limit: number, after: string | undefined): Promise<Batch>;
  /** Rows in the first batch, before the cost of a row is known. */
  firstBatch?: number;
  /**
   * Commit without waiting for the WAL flush (synchronous_commit off, this transaction only). For
   * deletions of expired rows: a crash right after such a commit can only bring back rows that the
   * next run deletes again (the database stays consistent), and the batch no longer waits for the
   * disk.
   */
  asyncCommit?: boolean;
}

/** `id = any(array(select … for update skip locked))`: the locked rows, fetched by key (the stale-run update). */
const lockedRows = (key: string, table: string, where: SQL, limit: number) =>
  sql`${sql.raw(key)} = any(array(select ${sql.raw(key)} from ${sql.raw(table)} where ${where} limit ${limit} for update skip locked))`;

/**
 * A delete step: the oldest `limit` rows of `table` by `position` (an indexed timestamptz column
 * the step's condition bounds) that nobody else holds, deleted by their TID in one statement.
 *  - In order, from the position the previous batch reached (`>=`: rows tied with it are read
 *    again, already deleted): every batch reads its rows straight off the index. Without it the
 *    scan restarts at the oldest end each time and walks past every row already deleted (dead
 *    until vacuumed), so the cost of a batch grows with the backlog behind it.
 *  - By TID: the rows are locked by this statement, so their TIDs cannot change before the
 *    DELETE, which then fetches them directly instead of probing the primary key once per row.
 *  - One row back (counts and the position reached), not one per deleted row.
 * Rows that change between the snapshot and the lock (never an expired row in practice) are
 * locked but not deleted; they are counted as locked, so the step goes on, and a later run gets them.
 */
const deleteOldest =
  (table: string, where: SQL, position: string) =>
  async (tx: Tx, limit: number, after: string | undefined): Promise<Batch> => {
    const [t, p] = [sql.raw(table), sql.raw(position)];
    const from = after === undefined ? sql`` : sql` and ${p} >= ${after}::timestamptz`;
    const result = await tx.execute(sql`with locked as (
        select ctid, ${p} as position from ${t} where ${where}${from} order by ${p} limit ${limit} for update skip locked),
      gone as (delete from ${t} where ctid = any(array(select ctid from locked)) returning 1)
      select (select count(*) from locked)::int as locked, (select count(*) from gone)::int as done,
        (select max(position) from locked)::text as last`);
    // Every driver returns { rows } from execute() (see the CLI's db status).
    const [row] = (result as unknown as { rows: { locked: number | string; done: number | string; last: string | null }[] }).rows;
    return { locked: Number(row!.locked), done: Number(row!.done), last: row!.last ?? undefined };
  };

/** Moves the locked runs, still in `from`, to timed_out with the reason as their error. */
async function timeOut(tx: Tx, locked: SQL, from: 'running' | 'pending', error: string, now: SQL): Promise<Batch> {
  const done = (
    await tx
      .update(pipelineRuns)
      .set({
        status: 'timed_out',
        completedAt: sql`${now}`,
        error: sql`${error}::jsonb`,
        revision: sql`${pipelineRuns.revision} + 1`,
        updatedAt: sql`${now}`,
      })
      .where(sql`${locked} and status = ${from}`)
      .returning({ id: pipelineRuns.id })
  ).length;
  return { locked: done, done };
}

function plan(input: CleanupInput): { steps: StepPlan[]; skipped: CleanupStep[] } {
  const now = input.now ? sql`${input.now.toISOString()}::timestamptz` : sql`now()`;
  const ago = (seconds: number) => sql`(${now} - ${Math.round(seconds)}::int * interval '1 second')`;
  const day = 24 * 60 * 60;

  const staleCutoff = ago(input.staleRunAfterSeconds);
  // A run that never heartbeated is judged by when it started. The partial index on heartbeat_at
  // (status = 'running') serves both arms: NULLs are in a btree too.
  const staleWhere = sql`status = 'running' and (heartbeat_at < ${staleCutoff} or (heartbeat_at is null and coalesce(started_at, created_at) < ${staleCutoff}))`;
  const staleError = JSON.stringify({
    code: 'heartbeat_timeout',
    message: `no heartbeat for more than ${input.staleRunAfterSeconds} s: timed out by cleanup`,
  });
  const pendingTimeout = input.pendingRunTimeoutSeconds ?? DEFAULT_PENDING_RUN_TIMEOUT_S;
  const pendingWhere = sql`status = 'pending' and created_at < ${ago(pendingTimeout)}`;
  const pendingError = JSON.stringify({
    code: 'pending_timeout',
    message: `still pending ${pendingTimeout} s after it was created (never started): timed out by cleanup`,
  });
  const expiredWhere = sql`expires_at < ${now}`;
  const dlqWhere = sql`failed_at < ${ago(input.dlqRetentionDays * day)}`;
  const terminalWhere = input.runRetentionDays === undefined ? undefined : sql`completed_at < ${ago(input.runRetentionDays * day)} and status in ${TERMINAL}`;

  const steps: StepPlan[] = [
    // First: a run stuck in `running` is wrong state that users see; the deletions are hygiene.
    {
      name: 'staleRunsTimedOut',
      table: 'pipeline_runs',
      where: staleWhere,
      batch: (tx, limit) => timeOut(tx, lockedRows('id', 'pipeline_runs', staleWhere, limit), 'running', staleError, now),
    },
    {
      name: 'pendingRunsTimedOut',
      table: 'pipeline_runs',
      where: pendingWhere,
      batch: (tx, limit) => timeOut(tx, lockedRows('id', 'pipeline_runs', pendingWhere, limit), 'pending', pendingError, now),
    },
    {
      name: 'expiredIdempotencyKeys',
      table: 'idempotency_keys',
      where: expiredWhere,
      asyncCommit: true,
      batch: deleteOldest('idempotency_keys', expiredWhere, 'expires_at'),
    },
    { name: 'dlqEntries', table: 'dlq', where: dlqWhere, asyncCommit: true, batch: deleteOldest('dlq', dlqWhere, 'failed_at') },
  ];
  if (terminalWhere) {
    steps.push({
      name: 'terminalRuns',
      table: 'pipeline_runs',
      where: terminalWhere,
      // Task runs and DLQ entries of these runs go with them (ON DELETE CASCADE), inside the batch:
      // a run can carry many task runs, so start small and let the adaptive size find the pace.
      firstBatch: 10,
      asyncCommit: true,
      batch: deleteOldest('pipeline_runs', terminalWhere, 'completed_at'),
    });
  }
  return { steps, skipped: terminalWhere ? [] : ['terminalRuns'] };
}

const isLockConflict = (err: unknown) => asDatabaseError(err) instanceof ConflictError;
const isStatementTimeout = (err: unknown) => asDatabaseError(err) instanceof StatementTimeoutError;

/**
 * Runs every step (see above) and logs the result as one JSON line, with `logFields` (who
 * triggered it: a schedule's execution, the CLI) added to it.
 */
export async function runCleanup({ db, input, logFields = {} }: { db: Db; input: CleanupInput; logFields?: Record<string, unknown> }): Promise<CleanupResult> {
  const started = performance.now();
  const { steps, skipped } = plan(input);
  const round: Round = {
    elapsed: () => performance.now() - started,
    budgetMs: input.budgetMs,
    maxBatch: Math.max(1, Math.floor(input.batchSize ?? DEFAULT_CLEANUP_BATCH_SIZE)),
    counts: { staleRunsTimedOut: 0, pendingRunsTimedOut: 0, expiredIdempotencyKeys: 0, dlqEntries: 0, terminalRuns: 0 },
    unfinished: [],
    batches: 0,
    longestBatchMs: 0,
    outOfTime: false,
  };
  for (const step of steps) {
    if (round.outOfTime) round.unfinished.push(step.name);
    else if (input.dryRun) round.counts[step.name] = await countRows(db, step);
    else await runStep(db, step, round);
  }
  const result: CleanupResult = {
    steps: round.counts,
    complete: round.unfinished.length === 0,
    dryRun: Boolean(input.dryRun),
    unfinished: round.unfinished,
    skipped,
    batches: round.batches,
    durationMs: Math.round(round.elapsed()),
    longestBatchMs: Math.round(round.longestBatchMs * 10) / 10,
  };
  log.info('cleanup', {
    ...logFields,
    ...result,
    settings: {
      dlqRetentionDays: input.dlqRetentionDays,
      runRetentionDays: input.runRetentionDays ?? null,
      staleRunAfterSeconds: input.staleRunAfterSeconds,
      pendingRunTimeoutSeconds: input.pendingRunTimeoutSeconds ?? DEFAULT_PENDING_RUN_TIMEOUT_S,
      budgetMs: input.budgetMs,
      batchSize: round.maxBatch,
    },
  });
  return result;
}

/** One call's progress through its steps, shared by them: the budget is the whole call's. */
interface Round {
  elapsed(): number;
  budgetMs: number;
  maxBatch: number;
  counts: Record<CleanupStep, number>;
  unfinished: CleanupStep[];
  batches: number;
  longestBatchMs: number;
  /** Set when the budget ran out: the remaining steps are left for the next call. */
  outOfTime: boolean;
}

/** A dry run's figure for a step: the rows it would handle. */
async function countRows(db: Db, step: StepPlan): Promise<number> {
  const [row] = await db.select({ n: count() }).from(sql.raw(step.table)).where(step.where);
  return row?.n ?? 0;
}

/** A step's batches, each one transaction, until it is drained, the budget is spent or it meets locks. */
async function runStep(db: Db, step: StepPlan, round: Round): Promise<void> {
  let size = Math.min(step.firstBatch ?? FIRST_BATCH_SIZE, round.maxBatch);
  let estimateMs = MIN_BATCH_ESTIMATE_MS;
  let after: string | undefined;
  for (;;) {
    const remaining = round.budgetMs - round.elapsed();
    if (estimateMs > remaining) {
      round.outOfTime = true;
      round.unfinished.push(step.name);
      return;
    }
    const batchStarted = performance.now();
    let batch: Batch;
    let statementMs = 0;
    try {
      batch = await db.transaction(async (tx) => {
        // set_config(…, true) is SET LOCAL in one round trip, and takes parameters.
        const commit = step.asyncCommit ? sql`, set_config('synchronous_commit', 'off', true)` : sql``;
        await tx.execute(
          sql`select set_config('lock_timeout', ${String(LOCK_TIMEOUT_MS)}, true), set_config('statement_timeout', ${String(Math.max(1_000, Math.ceil(remaining)))}, true)${commit}`,
        );
        const statementStarted = performance.now();
        const result = await step.batch(tx, size, after);
        statementMs = performance.now() - statementStarted;
        return result;
      });
    } catch (err) {
      // Someone holds locks this batch needs (a cascade reached a row being written): leave the
      // step for the next round rather than wait. A statement timeout means the budget is gone.
      if (isStatementTimeout(err)) round.outOfTime = true;
      else if (!isLockConflict(err)) throw err;
      round.unfinished.push(step.name);
      log.warn('cleanup batch abandoned', { step: step.name, batchSize: size, error: asDatabaseError(err)?.sqlState });
      return;
    }
    const ms = performance.now() - batchStarted;
    round.batches++;
    round.longestBatchMs = Math.max(round.longestBatchMs, ms);
    round.counts[step.name] += batch.done;
    after = batch.last ?? after;
    // Fewer rows than asked: the step is drained (rows skipped as locked wait for the next round).
    if (batch.locked < size) return;
    // Aim the next statement at TARGET_STATEMENT_MS, at most doubling, never above maxBatch.
    const next = Math.max(1, Math.min(round.maxBatch, size * 2, Math.floor((size * TARGET_STATEMENT_MS) / Math.max(statementMs, 1))));
    estimateMs = Math.max(MIN_BATCH_ESTIMATE_MS, ms - statementMs + (statementMs * next) / size);
    size = next;
  }
}
