/**
 * The schedule tick (README, Schedules): one implementation, run by the scheduler Lambda every minute, by
 * `pipestore schedules tick`, and inside `npm start`.
 *
 * For each enabled schedule whose most recent slot at or before `now` has not fired, one run for
 * that slot: pinned to the pipeline's active version, `trigger = 'schedule'`, `scheduledFor` the
 * slot, and `missedSlots` the number of earlier slots that passed unfired (downtime is not
 * back-filled). A slot fires only if it lies after the schedule took effect (`schedule_since`).
 *
 * Set-based: one SELECT of the due schedules through a partial index, the cron arithmetic in Node
 * (croner, memoised per expression and zone), then one statement per WRITE_CHUNK schedules that
 * advances each schedule and inserts its run. Round trips: 1 when nothing is due, 1 + ⌈due / 500⌉
 * otherwise, whatever the number of schedules. No transaction (each statement is atomic on its
 * own), so it runs the same on every driver, the Data API included.
 *
 * Concurrent ticks (a retried Lambda, the CLI beside the scheduler): the advancing UPDATE only
 * applies while the schedule still has the next slot and revision this tick read, so of two ticks
 * one advances and inserts and the other finds nothing; the unique index on
 * (pipeline_id, scheduled_for) with ON CONFLICT DO NOTHING makes one run per slot regardless.
 */
import { sql } from 'drizzle-orm';
import type { DbOrTx } from '../../db/client';
import { latestSlot, nextSlot, slotsBetween } from './cron';
import { newId } from './ids';

/** Schedules read per SELECT; a tick with more due re-reads until it has seen them all. */
const READ_BATCH = 5_000;
/** Schedules per writing statement: about 100 KB of JSON, within what the Data API takes. */
const WRITE_CHUNK = 500;
/** A tick never loops forever (a schedule rewritten faster than we advance it waits for the next). */
const MAX_PASSES = 20;

export interface FiredSlot {
  pipelineId: string;
  projectId: string;
  scheduledFor: string;
  missedSlots: number;
  /** The created run (null in a dry run, or when another tick created it first). */
  runId: string | null;
}

export interface TickResult {
  now: string;
  /** Runs created (or, in a dry run, that would be). */
  fired: FiredSlot[];
  /** Due schedules looked at, including those only advanced (first sight after a change). */
  examined: number;
  dryRun: boolean;
  roundTrips: number;
  /** False when MAX_PASSES ran out; the rest waits for the next tick. */
  complete: boolean;
  durationMs: number;
}

interface DueRow {
  id: string;
  project_id: string;
  schedule: string;
  timezone: string;
  revision: number;
  /** Epoch milliseconds: a number reads the same from every driver (the Data API's timestamps have no zone). */
  since_ms: number | string;
  next_ms: number | string | null;
}

/** What the tick decided for one schedule: its slot to fire (if any) and its new next slot. */
interface Decision {
  row: DueRow;
  slot: Date | null;
  missed: number;
  next: Date | null;
}

const asDate = (epochMs: number | string) => new Date(Math.round(Number(epochMs)));
const rowsOf = <T>(result: unknown) => (result as { rows: T[] }).rows;

export interface TickInput {
  db: DbOrTx;
  /** The tick's clock: slots at or before it are due. */
  now?: Date;
  /** Decide without writing: what would fire. */
  dryRun?: boolean;
  /** Only this project's schedules (an operator's targeted tick; tests on a shared database). */
  projectId?: string;
}

export async function tickSchedules({ db, now = new Date(), dryRun = false, projectId }: TickInput): Promise<TickResult> {
  const started = performance.now();
  const fired: FiredSlot[] = [];
  let examined = 0;
  let roundTrips = 0;
  let complete = false;
  const seen = new Set<string>();

  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const due = rowsOf<DueRow>(
      await db.execute(sql`
        select id, project_id, schedule, timezone, revision,
          extract(epoch from schedule_since)::float8 * 1000 as since_ms, extract(epoch from schedule_next_at)::float8 * 1000 as next_ms
        from pipelines
        where schedule is not null and schedule_enabled
          and (schedule_next_at is null or schedule_next_at <= ${now.toISOString()}::timestamptz)
          and active_version_id is not null
          ${projectId === undefined ? sql`` : sql`and project_id = ${projectId}`}
        limit ${READ_BATCH}`),
    ).filter((row) => !seen.has(row.id)); // a dry run changes nothing, so it must not see a row twice
    roundTrips++;
    for (const row of due) seen.add(row.id);
    examined += due.length;
    const decisions = decide(due, now);

    if (dryRun) {
      for (const d of decisions) if (d.slot) fired.push(firedSlot(d, null));
    } else {
      for (let i = 0; i < decisions.length; i += WRITE_CHUNK) {
        const chunk = decisions.slice(i, i + WRITE_CHUNK);
        fired.push(...(await advanceAndFire(db, chunk)));
        roundTrips++;
      }
    }
    if (due.length < READ_BATCH || dryRun) {
      complete = due.length < READ_BATCH;
      break;
    }
  }
  return { now: now.toISOString(), fired, examined, dryRun, roundTrips, complete, durationMs: Math.round(performance.now() - started) };
}

/** The cron arithmetic, once per distinct (expression, zone, first unfired slot): schedules share it. */
function decide(rows: DueRow[], now: Date): Decision[] {
  const memo = new Map<string, Omit<Decision, 'row'>>();
  return rows.map((row) => {
    const since = asDate(row.since_ms);
    const stored = row.next_ms === null ? null : asDate(row.next_ms);
    const key = `${row.timezone}\n${row.schedule}\n${stored?.getTime() ?? `since ${since.getTime()}`}`;
    let decision = memo.get(key);
    if (!decision) {
      decision = decideOne(row.schedule, row.timezone, stored, since, now);
      memo.set(key, decision);
    }
    return { row, ...decision };
  });
}

function decideOne(expression: string, timezone: string, stored: Date | null, since: Date, now: Date): Omit<Decision, 'row'> {
  let first: Date | null;
  try {
    first = stored ?? nextSlot(expression, timezone, since);
  } catch {
    // An expression stored before the checks were this strict (six fields): it never fires.
    return { slot: null, missed: 0, next: null };
  }
  if (!first || first > now) return { slot: null, missed: 0, next: first };
  const slot = latestSlot(expression, timezone, now);
  // Only when the stored next slot is not one of the expression's (written by hand): nothing due.
  if (!slot || slot < first) return { slot: null, missed: 0, next: nextSlot(expression, timezone, now) };
  return { slot, missed: slotsBetween(expression, timezone, first, slot), next: nextSlot(expression, timezone, now) };
}

const firedSlot = (d: Decision, runId: string | null): FiredSlot => ({
  pipelineId: d.row.id,
  projectId: d.row.project_id,
  scheduledFor: d.slot!.toISOString(),
  missedSlots: d.missed,
  runId,
});

/**
 * One statement for a chunk of schedules: advance each one still as this tick read it (enabled,
 * same revision, same next slot), and insert the run of each advanced one that has a slot.
 * A schedule that never fires again keeps a far-future next slot so the index skips it.
 */
async function advanceAndFire(db: DbOrTx, decisions: Decision[]): Promise<FiredSlot[]> {
  const input = decisions.map((d) => ({
    p: d.row.id,
    r: d.row.revision,
    e: d.row.next_ms === null ? null : asDate(d.row.next_ms).toISOString(),
    s: d.slot?.toISOString() ?? null,
    m: d.missed,
    n: (d.next ?? NEVER).toISOString(),
    i: d.slot ? newId('run') : null,
  }));
  const result = await db.execute(sql`
    with input as (
      select * from jsonb_to_recordset(${JSON.stringify(input)}::jsonb)
        as t(p text, r int, e timestamptz, s timestamptz, m int, n timestamptz, i text)
    ),
    advanced as (
      update pipelines set schedule_next_at = input.n, last_scheduled_for = coalesce(input.s, pipelines.last_scheduled_for)
      from input
      where pipelines.id = input.p and pipelines.revision = input.r and pipelines.schedule_enabled
        and pipelines.schedule_next_at is not distinct from input.e
      returning pipelines.id, pipelines.project_id, pipelines.active_version_id, input.s, input.m, input.i
    )
    insert into pipeline_runs (id, project_id, pipeline_id, version_id, trigger, scheduled_for, missed_slots)
    select i, project_id, id, active_version_id, 'schedule', s, m from advanced
    where s is not null and active_version_id is not null
    on conflict (pipeline_id, scheduled_for) do nothing
    returning id, pipeline_id`);
  const created = new Map(rowsOf<{ id: string; pipeline_id: string }>(result).map((r) => [r.pipeline_id, r.id]));
  return decisions.filter((d) => created.has(d.row.id)).map((d) => firedSlot(d, created.get(d.row.id)!));
}

/** Where a schedule that can never fire again is parked (a pattern with only past years is refused on input). */
const NEVER = new Date('9999-12-31T00:00:00Z');
