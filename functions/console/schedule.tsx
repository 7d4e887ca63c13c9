/**
 * A pipeline's schedule as the console shows it: expression and zone, paused or not, when it fires
 * next (in its own zone, with UTC on hover), the run its latest slot created and how many slots
 * passed unfired before it, and the Pause / Resume form. The data is listSchedules' (core).
 */
import type { FC } from 'hono/jsx';
import { MISSED_SLOTS_CAP } from '../core/cron';
import { upcomingRuns, type Schedule } from '../core/schedules';
import { ActionButton, Ago, ShortId, Status, withQuery } from './layout';

const formats = new Map<string, Intl.DateTimeFormat>();

/** "Tue 1 Dec, 03:00 CET": a slot as the schedule's own zone reads it (formatters kept per zone). */
export function inZone(at: Date, timezone: string): string {
  let format = formats.get(timezone);
  if (!format) {
    if (formats.size >= 1000) formats.clear();
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone: timezone,
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      year: 'numeric',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
      timeZoneName: 'short',
    });
    formats.set(timezone, format);
  }
  return format.format(at);
}

/** A time in the schedule's zone, the exact UTC time on hover. */
export const ZonedTime: FC<{ at: string | Date; timezone: string }> = ({ at, timezone }) => {
  const date = typeof at === 'string' ? new Date(at) : at;
  const iso = date.toISOString();
  return (
    <time datetime={iso} title={iso.replace('T', ' ').replace(/\.000Z$|Z$/, ' UTC')}>
      {inZone(date, timezone)}
    </time>
  );
};

const scheduleActions = (pipelineName: string) => `/console/pipelines/${pipelineName}/schedule`;

/**
 * Pause while it runs, Resume while paused: a POST with the session's CSRF token; `back` is the
 * page to return to (a console path, checked by the action).
 */
export const ScheduleToggle: FC<{ pipelineName: string; enabled: boolean; csrf: string; back: string }> = ({ pipelineName, enabled, csrf, back }) => (
  <ActionButton
    action={`${scheduleActions(pipelineName)}/${enabled ? 'pause' : 'resume'}`}
    csrf={csrf}
    fields={{ back }}
    label={`${enabled ? 'Pause' : 'Resume'} the schedule of ${pipelineName}`}
  >
    {enabled ? 'Pause' : 'Resume'}
  </ActionButton>
);

const State: FC<{ schedule: Schedule }> = ({ schedule }) => (schedule.enabled ? <span class="sched-on">active</span> : <span class="sched-off">paused</span>);

/** `missedSlots` is counted up to the cap: beyond, it means "at least". */
const missed = (n: number) => (n >= MISSED_SLOTS_CAP ? `${MISSED_SLOTS_CAP}+` : String(n));

const LastSlot: FC<{ schedule: Schedule }> = ({ schedule }) => {
  const last = schedule.lastRun;
  if (!last) return <span class="muted">no slot has fired yet</span>;
  return (
    <span data-last-slot={last.scheduledFor}>
      <ZonedTime at={last.scheduledFor} timezone={schedule.timezone} /> <Status status={last.status} />{' '}
      <ShortId id={last.id} href={`/console/runs/${last.id}`} />
      {last.missedSlots > 0 && <span class="missed">{` · ${missed(last.missedSlots)} missed before it`}</span>}
    </span>
  );
};

/** The schedule column of the pipelines list. */
export const ScheduleCell: FC<{ schedule: Schedule | undefined; csrf: string; back: string }> = ({ schedule, csrf, back }) =>
  schedule ? (
    <div data-schedule-state={schedule.enabled ? 'active' : 'paused'}>
      <code>{schedule.expression}</code> <span class="muted">{schedule.timezone}</span>
      <div>
        {schedule.nextRunAt ? (
          <span data-next-run={schedule.nextRunAt}>
            {'next '}
            <Ago at={schedule.nextRunAt} />
          </span>
        ) : (
          <State schedule={schedule} />
        )}{' '}
        <ScheduleToggle pipelineName={schedule.pipelineName} enabled={schedule.enabled} csrf={csrf} back={back} />
      </div>
      {schedule.lastRun && (
        <div class="muted">
          {'last slot '}
          <Ago at={schedule.lastRun.scheduledFor} />
          {schedule.lastRun.missedSlots > 0 && <span class="missed">{` · ${missed(schedule.lastRun.missedSlots)} missed`}</span>}
        </div>
      )}
    </div>
  ) : (
    <span class="muted">—</span>
  );

const UPCOMING = 5;

/** The schedule section of a pipeline's page. */
export const ScheduleDetails: FC<{ schedule: Schedule | undefined; csrf: string }> = ({ schedule, csrf }) => {
  if (!schedule) {
    return (
      <p class="empty">
        No schedule. Give the pipeline a cron <code>schedule</code> (and an IANA <code>timezone</code>) with <code>PATCH /v1/pipelines/{'{id}'}</code> or in its
        file for <code>pipestore sync</code>; it then fires here on its own.
      </p>
    );
  }
  const upcoming = upcomingRuns(schedule, UPCOMING);
  const page = `/console/pipelines/${schedule.pipelineName}`;
  return (
    <section class="grid" data-schedule-state={schedule.enabled ? 'active' : 'paused'}>
      <dl>
        <dt>Cron</dt>
        <dd>
          <code>{schedule.expression}</code>
        </dd>
        <dt>Time zone</dt>
        <dd>{schedule.timezone}</dd>
        <dt>State</dt>
        <dd>
          <State schedule={schedule} /> <ScheduleToggle pipelineName={schedule.pipelineName} enabled={schedule.enabled} csrf={csrf} back={page} />
        </dd>
        <dt>Latest slot</dt>
        <dd>
          <LastSlot schedule={schedule} />
        </dd>
        <dt>Runs it created</dt>
        <dd>
          <a href={withQuery('/console/runs', { pipeline: schedule.pipelineName, trigger: 'schedule' })}>scheduled runs of this pipeline</a>
        </dd>
      </dl>
      <dl>
        <dt>{`Next ${UPCOMING} slots`}</dt>
        <dd>
          {upcoming.length === 0 ? (
            <span class="muted">{schedule.enabled ? 'none: the expression never fires again' : 'none while paused'}</span>
          ) : (
            <ol class="slots" data-next-run={upcoming[0]!.toISOString()}>
              {upcoming.map((slot, i) => (
                <li>
                  <ZonedTime at={slot} timezone={schedule.timezone} />
                  {i === 0 && (
                    <span class="muted">
                      {' ('}
                      <Ago at={slot.toISOString()} />
                      {')'}
                    </span>
                  )}
                </li>
              ))}
            </ol>
          )}
        </dd>
      </dl>
    </section>
  );
};
