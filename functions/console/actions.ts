/**
 * The console's state-changing forms. Each calls the same store operation as the API route, in the
 * signed-in project (so the memory layer it shares with the API drops what the write changed),
 * and redirects (303) to the page to look at next, with a notice code (never free text) saying
 * what happened.
 */
import type { Context } from 'hono';
import { MAX_JSON_DEPTH } from '../core/bounds';
import { NotFoundError, PreconditionFailedError, StateConflictError } from '../core/errors';
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

/** The signed-in project's store: the console's forms write through it like the API's routes. */
const projectStore = (c: C) => c.get('store').project(c.get('session').projectId);

export async function activate(c: C, name: string) {
  const store = projectStore(c);
  const page = `/console/pipelines/${name}`;
  const version = positiveInt(await field(c, 'version'));
  const revision = positiveInt(await field(c, 'revision'));
  if (version === undefined || revision === undefined) return c.redirect(withQuery(page, { notice: 'activate-missing' }), 303);
  const pipeline = await store.getPipeline(name);
  try {
    await store.activateVersion({ pipeline: pipeline.id, version, ifMatch: revision });
  } catch (err) {
    if (err instanceof PreconditionFailedError) return c.redirect(withQuery(page, { notice: 'activate-stale' }), 303);
    if (err instanceof NotFoundError && err.message.startsWith('version ')) return c.redirect(withQuery(page, { notice: 'activate-missing' }), 303);
    throw err;
  }
  return c.redirect(withQuery(page, { notice: 'activated' }), 303);
}

export async function triggerRun(c: C, name: string) {
  const store = projectStore(c);
  const page = `/console/pipelines/${name}`;
  const pipeline = await store.getPipeline(name);
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
  const run = await store.createRun({ pipeline: pipeline.id, input, trigger: 'console' });
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
  const store = projectStore(c);
  const pipeline = await store.getPipeline(name);
  const back = await field(c, 'back');
  const page = `/console/pipelines/${pipeline.name}`;
  if (!pipeline.schedule) return c.redirect(backTo(back, page, 'schedule-none'), 303);
  const input = { pipeline: pipeline.id };
  await (action === 'pause' ? store.pauseSchedule(input) : store.resumeSchedule(input));
  return c.redirect(backTo(back, page, action === 'pause' ? 'schedule-paused' : 'schedule-resumed'), 303);
}

export async function cancel(c: C, runId: string) {
  const page = `/console/runs/${runId}`;
  try {
    await projectStore(c).cancelRun({ runId, reason: { cancelledBy: 'console' } });
  } catch (err) {
    if (err instanceof StateConflictError) return c.redirect(withQuery(page, { notice: 'cancel-refused' }), 303);
    throw err;
  }
  return c.redirect(withQuery(page, { notice: 'cancelled' }), 303);
}

export async function replay(c: C, id: string) {
  await projectStore(c).replayDlqEntry(id);
  return c.redirect(withQuery('/console/dlq', { notice: 'replayed' }), 303);
}

export async function remove(c: C, id: string) {
  await projectStore(c).deleteDlqEntry(id);
  return c.redirect(withQuery('/console/dlq', { notice: 'deleted' }), 303);
}
