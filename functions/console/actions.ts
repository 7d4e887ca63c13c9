/**
 * The console's state-changing forms. Each calls the same core operation as the API route, in the
 * signed-in project, invalidates what the API's memory layer holds of it, and redirects (303) to
 * the page to look at next, with a notice code (never free text) saying what happened.
 */
import type { Context } from 'hono';
import { invalidating, tags } from '../cache/cached-reads';
import { MAX_JSON_DEPTH } from '../core/bounds';
import { deleteDlqEntry, replayDlqEntry } from '../core/dlq';
import { NotFoundError, PreconditionFailedError, StateConflictError } from '../core/errors';
import { activateVersion } from '../core/pipelines';
import { cancelRun, createRun } from '../core/runs';
import { pauseSchedule, resumeSchedule } from '../core/schedules';
import { INT4_MAX } from '../core/bounds';
import { exceedsDepth, unstorableStrings } from '../api/request-body';
import type { ConsoleEnv } from './env';
import { consolePath } from './security';
import { withQuery } from './layout';

const MAX_INPUT_BYTES = 256 * 1024;

type C = Context<ConsoleEnv>;

const field = async (c: C, name: string) => {
  const value = (await c.req.parseBody())[name];
  return typeof value === 'string' ? value : undefined;
};

const positiveInt = (text: string | undefined) => (text && /^[1-9][0-9]{0,9}$/.test(text) && Number(text) <= INT4_MAX ? Number(text) : undefined);

const target = (c: C) => ({ db: c.get('database').db, projectId: c.get('session').projectId });

export async function activate(c: C, name: string) {
  const { db, projectId } = target(c);
  const page = `/console/pipelines/${name}`;
  const version = positiveInt(await field(c, 'version'));
  const revision = positiveInt(await field(c, 'revision'));
  if (version === undefined || revision === undefined) return c.redirect(withQuery(page, { notice: 'activate-missing' }), 303);
  const pipeline = await c.get('reads').getPipeline({ projectId, idOrName: name });
  try {
    await invalidating(c.get('cache'), [tags.pipelines(projectId)], activateVersion({ db, input: { projectId, id: pipeline.id, version, ifMatch: revision } }));
  } catch (err) {
    if (err instanceof PreconditionFailedError) return c.redirect(withQuery(page, { notice: 'activate-stale' }), 303);
    if (err instanceof NotFoundError && err.message.startsWith('version ')) return c.redirect(withQuery(page, { notice: 'activate-missing' }), 303);
    throw err;
  }
  return c.redirect(withQuery(page, { notice: 'activated' }), 303);
}

export async function triggerRun(c: C, name: string) {
  const { db, projectId } = target(c);
  const page = `/console/pipelines/${name}`;
  const pipeline = await c.get('reads').getPipeline({ projectId, idOrName: name });
  const text = ((await field(c, 'input')) ?? '').trim();
  let input: unknown;
  if (text) {
    if (Buffer.byteLength(text) > MAX_INPUT_BYTES) return c.redirect(withQuery(page, { notice: 'input-too-large' }), 303);
    try {
      if (exceedsDepth(text, MAX_JSON_DEPTH)) throw new Error('too deep');
      input = JSON.parse(text);
      if (unstorableStrings(input).length) throw new Error('unstorable text');
    } catch {
      return c.redirect(withQuery(page, { notice: 'bad-input' }), 303);
    }
  }
  const run = await createRun({ db, input: { projectId, pipelineId: pipeline.id, input, trigger: 'console' } });
  return c.redirect(`/console/runs/${run.id}`, 303);
}

/** A console page of this origin to send the browser back to, with a notice; else `fallback`. */
function backTo(back: string | undefined, fallback: string, notice: string): string {
  const url = new URL(consolePath(back) ?? fallback, 'http://console.invalid');
  url.searchParams.set('notice', notice);
  return `${url.pathname}${url.search}`;
}

/** Pauses or resumes a pipeline's schedule (unconditional: both are idempotent). */
export async function setSchedule(c: C, name: string, action: 'pause' | 'resume') {
  const { db, projectId } = target(c);
  const pipeline = await c.get('reads').getPipeline({ projectId, idOrName: name });
  const back = await field(c, 'back');
  const page = `/console/pipelines/${pipeline.name}`;
  if (!pipeline.schedule) return c.redirect(backTo(back, page, 'schedule-none'), 303);
  const write = action === 'pause' ? pauseSchedule : resumeSchedule;
  await invalidating(c.get('cache'), [tags.pipelines(projectId)], write({ db, input: { projectId, id: pipeline.id } }));
  return c.redirect(backTo(back, page, action === 'pause' ? 'schedule-paused' : 'schedule-resumed'), 303);
}

export async function cancel(c: C, runId: string) {
  const { db, projectId } = target(c);
  const page = `/console/runs/${runId}`;
  try {
    await invalidating(c.get('cache'), [tags.run(projectId, runId)], cancelRun({ db, input: { projectId, runId, reason: { cancelledBy: 'console' } } }));
  } catch (err) {
    if (err instanceof StateConflictError) return c.redirect(withQuery(page, { notice: 'cancel-refused' }), 303);
    throw err;
  }
  return c.redirect(withQuery(page, { notice: 'cancelled' }), 303);
}

export async function replay(c: C, id: string) {
  const { db, projectId } = target(c);
  await replayDlqEntry({ db, input: { projectId, id } });
  return c.redirect(withQuery('/console/dlq', { notice: 'replayed' }), 303);
}

export async function remove(c: C, id: string) {
  const { db, projectId } = target(c);
  await deleteDlqEntry({ db, input: { projectId, id } });
  return c.redirect(withQuery('/console/dlq', { notice: 'deleted' }), 303);
}
