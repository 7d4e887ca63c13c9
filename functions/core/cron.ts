/**
 * Cron arithmetic for schedules, all of it croner's: validation, the latest slot at or before an
 * instant, the next slot after one, and the slots in between. Schedules are five fields (minute
 * hour day-of-month month day-of-week, or a nickname such as @daily), read in an IANA time zone.
 *
 * Daylight saving time is croner's rule (https://croner.56k.guru, "fixedTimeRule"): a schedule
 * whose minute and hour are single values ("30 2 * * *") is a fixed-time job: in a spring-forward
 * gap it fires at the first valid time after the gap (02:30 that does not exist fires at 03:00),
 * and a time that occurs twice in the fall fires once (at its first occurrence). Every other
 * schedule ("*\/30 * * * *") is an interval job: times in the gap are skipped, and a repeated
 * time fires on both occurrences.
 */
import { Cron } from 'croner';

/** Past this, a run's missed count says "at least this many" (counting walks slot by slot). */
export const MISSED_SLOTS_CAP = 1000;

/** Croner's options for a zone: UTC as a fixed offset, which skips the Intl round trips. */
const zoneOptions = (timezone: string) => (timezone === 'UTC' || timezone === 'Etc/UTC' ? { utcOffset: 0 } : { timezone });

const jobs = new Map<string, Cron>();

/**
 * One paused croner job per (expression, zone), reused: building one parses the pattern and, with
 * a zone, sets up Intl formatters, which costs more than the arithmetic. Bounded like any cache.
 */
export function cronFor(expression: string, timezone: string): Cron {
  const key = `${timezone} ${expression}`;
  let job = jobs.get(key);
  if (!job) {
    if (jobs.size >= 10_000) jobs.clear();
    job = new Cron(expression, { paused: true, mode: '5-part', ...zoneOptions(timezone) });
    jobs.set(key, job);
  }
  return job;
}

const SECONDS_REFUSED = 'seconds are not supported: a schedule fires at most once a minute, so use five fields (minute hour day-of-month month day-of-week)';

/** Why an expression is not a schedule we accept, or undefined when it is one. */
export function scheduleError(expression: string): string | undefined {
  const fields = expression.trim().split(/\s+/);
  if (!expression.trim().startsWith('@') && fields.length > 5) return SECONDS_REFUSED;
  let job: Cron | undefined;
  try {
    job = new Cron(expression, { paused: true, mode: '5-part', utcOffset: 0 });
    if (!job.nextRun()) return 'the schedule never fires';
    return undefined;
  } catch (err) {
    return `not a valid cron expression: ${(err as Error).message.replace(/^CronPattern: /, '')}`;
  } finally {
    job?.stop();
  }
}

/**
 * Why a time zone is not an IANA zone name, or undefined. Intl is the zone database croner reads,
 * so what it accepts croner can compute in; offsets ("+01:00") and abbreviations are refused by the
 * shape check because they do not follow DST.
 */
export function timezoneError(timezone: string): string | undefined {
  if (!/^(UTC|[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)+)$/.test(timezone)) return 'must be an IANA time zone name such as "Europe/Berlin" or "UTC"';
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: timezone });
    return undefined;
  } catch {
    return `unknown time zone "${timezone}" (an IANA name such as "Europe/Berlin" or "UTC")`;
  }
}

/** The first slot strictly after `after`, or null when the schedule never fires again. */
export const nextSlot = (expression: string, timezone: string, after: Date): Date | null => cronFor(expression, timezone).nextRun(after);

/** The latest slot at or before `at` (croner's previousRuns includes a run in the same second, earlier). */
export function latestSlot(expression: string, timezone: string, at: Date): Date | null {
  return cronFor(expression, timezone).previousRuns(1, new Date(at.getTime() + 1))[0] ?? null;
}

/** How many slots lie in [from, to), capped at MISSED_SLOTS_CAP. */
export function slotsBetween(expression: string, timezone: string, from: Date, to: Date): number {
  if (from >= to) return 0;
  const job = cronFor(expression, timezone);
  let count = 1; // `from` itself is a slot
  let slot: Date | null = from;
  while (count < MISSED_SLOTS_CAP) {
    slot = job.nextRun(slot);
    if (!slot || slot >= to) break;
    count++;
  }
  return count;
}
